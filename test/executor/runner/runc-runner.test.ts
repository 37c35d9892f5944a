import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrunRunner, ProcessFailedError, RunCanceledError, RuncRunner, RunnerStartError, RunnerUnavailableError } from '../../../executor/runner/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { capture, copiedRootfs, overlayRootfs, removeTempDirs, runcList, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('RunnerUnavailableError', () => {
  it('names the package to install when the runtime is missing', async () => {
    const runner = new RuncRunner({ stateDir: await tempDir('state'), binary: '/nonexistent/runc' });
    const err = await runner.check().catch((e: unknown) => e);
    if (process.getuid?.() === 0) {
      expect(err).toBeInstanceOf(RunnerUnavailableError);
      expect((err as Error).message).toContain('apt-get install runc');
    } else {
      expect((err as Error).message).toContain('root');
    }
  });
});

describe.runIf(requirePrereqs({ root: true, commands: ['runc'] }))('RuncRunner', () => {
  let stateDir: string;
  let runner: RuncRunner;
  beforeAll(async () => {
    stateDir = await tempDir('state');
    runner = new RuncRunner({ stateDir });
  });

  it('returns the exit code, and rejects codes outside validExitCodes', async () => {
    const ok = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'exit 0'] } });
    expect(ok.result).toEqual({ exitCode: 0 });
    const allowed = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'exit 42'] }, validExitCodes: [42] });
    expect(allowed.result).toEqual({ exitCode: 42 });
  });

  it('fails with the command, the exit code and the output tail', async () => {
    const r = await capture(runner, {
      rootfs: await overlayRootfs(),
      process: { args: ['/bin/sh', '-c', 'for i in $(seq 1 50); do echo line$i; done; exit 7'] },
    });
    expect(r.error).toBeInstanceOf(ProcessFailedError);
    const err = r.error as ProcessFailedError;
    expect(err.message).toBe('process "/bin/sh -c for i in $(seq 1 50); do echo line$i; done; exit 7" did not complete successfully: exit code: 7');
    expect(err.exitCode).toBe(7);
    expect(err.outputTail).toContain('line50');
    expect(err.outputTail).not.toContain('line1\n');
    expect(err.outputTail.split('\n')).toHaveLength(20);
    const stderrOnly = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'echo oops >&2; exit 1'] } });
    expect((stderrOnly.error as ProcessFailedError).outputTail).toBe('oops');
  });

  it('reports a command that cannot start as a start error', async () => {
    const r = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['/no/such/binary'] } });
    expect(r.error).toBeInstanceOf(RunnerStartError);
    expect(r.error!.message).toContain('/no/such/binary');
  });

  it('sets env with a default PATH and HOME from passwd', async () => {
    const r = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['env'], env: ['FOO=bar baz'], user: 'app' } });
    const env = r.stdout.split('\n');
    expect(env).toContain('FOO=bar baz');
    expect(env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(env).toContain('HOME=/home/app');
    const custom = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['/bin/sh', '-c', 'echo $PATH'], env: ['PATH=/bin'] } });
    expect(custom.stdout).toBe('/bin\n');
  });

  it('creates a missing cwd, owned by the user', async () => {
    const rootfs = await copiedRootfs();
    const r = await capture(runner, { rootfs, process: { args: ['pwd'], cwd: '/work/deep/dir', user: 'app' } });
    expect(r.stdout).toBe('/work/deep/dir\n');
    const st = statSync(join(rootfs, 'work/deep/dir'));
    expect([st.uid, st.gid]).toEqual([1000, 1000]);
  });

  it('resolves the user by name, with supplementary groups', async () => {
    const r = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'id -u; id -g; id -G'], user: 'app' } });
    expect(r.stdout).toBe('1000\n1000\n1000 50\n');
  });

  it('resolves the user by uid:gid and by name:group', async () => {
    const byId = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'id -u; id -g'], user: '4321:8765' } });
    expect(byId.stdout).toBe('4321\n8765\n');
    const byName = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'id -u; id -g'], user: 'nobody:staff' } });
    expect(byName.stdout).toBe('65534\n50\n');
    const unknown = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['true'], user: 'ghost' } });
    expect(unknown.error?.message).toContain('unable to find user ghost');
  });

  it('gives network none only a loopback interface', async () => {
    const r = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['ls', '/sys/class/net'] } });
    expect(r.stdout.trim().split(/\s+/)).toEqual(['lo']);
  });

  it('shares the host network in host mode', async () => {
    const r = await capture(runner, { rootfs: await overlayRootfs(), network: 'host', process: { args: ['ls', '/sys/class/net'] } });
    expect(r.stdout.trim().split(/\s+/).sort()).toEqual(readdirSync('/sys/class/net').sort());
  });

  it('writes /etc/hosts and sets the hostname', async () => {
    const r = await capture(runner, {
      rootfs: await overlayRootfs(),
      hostname: 'builder1',
      extraHosts: [{ host: 'registry.local', ip: '10.1.2.3' }],
      process: { args: ['sh', '-c', 'cat /etc/hosts; hostname'] },
    });
    expect(r.stdout).toBe('127.0.0.1\tlocalhost builder1\n::1\tlocalhost ip6-localhost ip6-loopback\n10.1.2.3\tregistry.local\nbuilder1\n');
    const dflt = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['hostname'] } });
    expect(dflt.stdout).toBe('tsbuild\n');
  });

  it("has Docker's default capabilities and a read-only /sys", async () => {
    const r = await capture(runner, {
      rootfs: await overlayRootfs(),
      process: { args: ['sh', '-c', 'grep CapEff /proc/self/status; touch /sys/x 2>/dev/null && echo sys-writable || echo sys-ro'] },
    });
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
    expect(r.stdout).toContain('CapEff:\t00000000a80425fb');
    expect(r.stdout).toContain('sys-ro');
  });

  it('streams stdout and stderr while the process runs', async () => {
    const sync = await tempDir('sync');
    const chunks: string[] = [];
    let released = false;
    const result = await runner.run({
      rootfs: await overlayRootfs(),
      mounts: [{ type: 'bind', source: sync, destination: '/sync' }],
      // The process waits for a file the test creates only after seeing "ready": without
      // streaming this would never finish.
      process: { args: ['sh', '-c', 'echo ready; while [ ! -e /sync/go ]; do usleep 10000; done; echo warn >&2; echo done'] },
      stdout: (c) => {
        chunks.push(`out:${Buffer.from(c).toString()}`);
        if (!released && Buffer.from(c).toString().includes('ready')) {
          released = true;
          void writeFile(join(sync, 'go'), '');
        }
      },
      stderr: (c) => chunks.push(`err:${Buffer.from(c).toString()}`),
    });
    expect(result.exitCode).toBe(0);
    // Order holds within a stream; the two pipes race each other.
    expect(chunks.filter((c) => c.startsWith('out:'))).toEqual(['out:ready\n', 'out:done\n']);
    expect(chunks.filter((c) => c.startsWith('err:'))).toEqual(['err:warn\n']);
  });

  it('makes read-only binds unwritable and writable binds writable', async () => {
    const ro = await tempDir('ro');
    const rw = await tempDir('rw');
    await writeFile(join(ro, 'secret'), 'hush');
    const r = await capture(runner, {
      rootfs: await overlayRootfs(),
      mounts: [
        { type: 'bind', source: ro, destination: '/ro', readonly: true },
        { type: 'bind', source: join(ro, 'secret'), destination: '/run/secrets/token', readonly: true },
        { type: 'bind', source: rw, destination: '/rw' },
      ],
      process: { args: ['sh', '-c', 'touch /ro/x 2>/dev/null && echo ro-writable || echo ro-refused; cat /run/secrets/token; echo; echo hi > /rw/out'] },
    });
    expect(r.stdout).toBe('ro-refused\nhush\n');
    expect(existsSync(join(ro, 'x'))).toBe(false);
    expect(readFileSync(join(rw, 'out'), 'utf8')).toBe('hi\n');
  });

  it('leaves no trace of tmpfs mounts or mount points in the rootfs', async () => {
    const rootfs = await copiedRootfs();
    const before = readdirSync(rootfs).sort();
    const etcBefore = readdirSync(join(rootfs, 'etc')).sort();
    const r = await capture(runner, {
      rootfs,
      mounts: [{ type: 'tmpfs', destination: '/scratch/t', size: 1024 * 1024 }],
      process: { args: ['sh', '-c', 'echo data > /scratch/t/file && cat /scratch/t/file'] },
    });
    expect(r.stdout).toBe('data\n');
    expect(readdirSync(rootfs).sort()).toEqual(before);
    expect(readdirSync(join(rootfs, 'etc')).sort()).toEqual(etcBefore);
  });

  it('leaves the overlay of a root step to the runtime: no host mount, no mount stubs in the upper dir', async () => {
    const rootfs = await overlayRootfs();
    let hostMounts = '';
    let inside = '';
    await runner.run({
      rootfs,
      mounts: [
        { type: 'tmpfs', destination: '/scratch/t' },
        { type: 'bind', source: await tempDir('src'), destination: '/mnt/deep/src', readonly: true },
      ],
      process: { args: ['sh', '-c', 'touch /kept && cat /proc/self/mountinfo'] },
      stdout: (c) => {
        inside += Buffer.from(c).toString();
        hostMounts ||= readFileSync('/proc/self/mountinfo', 'utf8');
      },
    });
    expect(inside).toMatch(/ \/ \/ .* - overlay overlay /);
    expect(hostMounts).not.toBe('');
    expect(hostMounts).not.toContain(stateDir);
    // Only what the process wrote (and the parent dirs of /etc/hosts and resolv.conf stubs that
    // the kernel copied up) is in the layer: the stubs themselves are gone.
    expect(readdirSync(rootfs.upperdir).sort()).toEqual(['etc', 'kept']);
    expect(readdirSync(join(rootfs.upperdir, 'etc'))).toEqual([]);
  });

  it('creates a missing cwd for a step with no USER: root-owned, 0755, in the layer', async () => {
    const rootfs = await overlayRootfs();
    const r = await capture(runner, { rootfs, process: { args: ['sh', '-c', 'pwd; id -G'], cwd: '/work/deep' } });
    expect(r.error).toBeUndefined();
    // No supplementary groups for a step with no USER, as BuildKit runs it.
    expect(r.stdout).toBe('/work/deep\n0\n');
    const st = statSync(join(rootfs.upperdir, 'work', 'deep'));
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o755, 0, 0]);
  });

  it('leaves no stub where a mount destination runs through a symbolic link in the layers', async () => {
    const rootfs = await overlayRootfs();
    const links = await tempDir('links');
    await mkdir(join(links, 'var'), { recursive: true });
    await mkdir(join(links, 'run'));
    await symlink('/run', join(links, 'var', 'run'));
    const layered = { ...rootfs, lowerdirs: [links, ...rootfs.lowerdirs] };
    const r = await capture(runner, {
      rootfs: layered,
      mounts: [{ type: 'tmpfs', destination: '/var/run/x' }],
      process: { args: ['sh', '-c', 'touch /kept'] },
    });
    expect(r.error).toBeUndefined();
    expect(existsSync(join(rootfs.upperdir, 'kept'))).toBe(true);
    expect(existsSync(join(rootfs.upperdir, 'run', 'x'))).toBe(false);
    expect(existsSync(join(rootfs.upperdir, 'var', 'run', 'x'))).toBe(false);
  });

  it("runs a named user's step on an overlay mounted on the host, and unmounts it after", async () => {
    const rootfs = await overlayRootfs();
    const r = await capture(runner, { rootfs, process: { args: ['sh', '-c', 'id -un; mkdir -p /home/app/x'], user: 'app' } });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('app\n');
    expect(existsSync(join(rootfs.upperdir, 'home/app/x'))).toBe(true);
    const hostMounts = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(hostMounts).not.toContain(stateDir);
  });

  it("writes an overlay rootfs's changes to its upperdir only", async () => {
    const rootfs = await overlayRootfs();
    const r = await capture(runner, { rootfs, process: { args: ['sh', '-c', 'echo hi > /new.txt && rm /bin/vi'] } });
    expect(r.error).toBeUndefined();
    expect(readFileSync(join(rootfs.upperdir, 'new.txt'), 'utf8')).toBe('hi\n');
    expect(existsSync(join(rootfs.lowerdirs[0]!, 'new.txt'))).toBe(false);
    expect(existsSync(join(rootfs.lowerdirs[0]!, 'bin/vi'))).toBe(true);
    // Unmounted after the run, and the bundle is gone once the runner has settled its cleanup.
    await runner.close();
    expect(readdirSync(join(stateDir, 'bundles'))).toEqual([]);
  });

  it('supports a read-only rootfs', async () => {
    const r = await capture(runner, {
      rootfs: await overlayRootfs(),
      readonlyRootfs: true,
      process: { args: ['sh', '-c', 'touch /x 2>/dev/null && echo writable || echo refused'] },
    });
    expect(r.stdout).toBe('refused\n');
  });

  it('kills the container and cleans up when aborted', async () => {
    const controller = new AbortController();
    const rootfs = await overlayRootfs();
    const run = runner.run({
      rootfs,
      process: { args: ['sh', '-c', 'echo started; exec sleep 1000'] },
      stdout: (c) => {
        if (Buffer.from(c).toString().includes('started')) controller.abort(new Error('user interrupt'));
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toBeInstanceOf(RunCanceledError);
    expect(runcList(stateDir)).toEqual([]);
    await runner.close();
    expect(readdirSync(join(stateDir, 'bundles'))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(stateDir);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runner.run({ rootfs: await overlayRootfs(), process: { args: ['true'] }, signal: controller.signal })).rejects.toBeInstanceOf(
      RunCanceledError,
    );
  });

  it('cleans what a crashed process left behind when the next runner starts', async () => {
    const crashState = await tempDir('crash');
    const rootfs = await overlayRootfs();
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures/crash-run.ts'), crashState, rootfs.lowerdirs[0]!, rootfs.upperdir, rootfs.workdir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('started') && resolve());
      child.on('exit', (code) => reject(new Error(`crash fixture exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(runcList(crashState)).toHaveLength(1);
    expect(readdirSync(join(crashState, 'bundles'))).toHaveLength(1);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(crashState);

    const next = new RuncRunner({ stateDir: crashState });
    const r = await capture(next, { rootfs: await overlayRootfs(), process: { args: ['true'] } });
    expect(r.error).toBeUndefined();
    expect(runcList(crashState)).toEqual([]);
    await next.close();
    expect(readdirSync(join(crashState, 'bundles'))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(crashState);
  });
});

describe.runIf(requirePrereqs({ root: true, commands: ['crun'] }))('CrunRunner', () => {
  it("runs with crun, or fails with the runtime's own reason", async () => {
    const runner = new CrunRunner({ stateDir: await tempDir('crun') });
    expect(runner.name).toBe('crun');
    const r = await capture(runner, { rootfs: await overlayRootfs(), process: { args: ['sh', '-c', 'echo via-crun'] } });
    if (r.error) {
      // crun 1.8 refuses hosts with hybrid cgroups (v1 controllers plus a v2 hierarchy).
      expect(r.error).toBeInstanceOf(RunnerStartError);
      expect(r.error.message).toMatch(/^process "sh -c echo via-crun" could not be started: .*cgroup/);
    } else {
      expect(r.stdout).toBe('via-crun\n');
    }
  });
});
