// Where a build's result goes, judged by real tools: skopeo reads our OCI archive and what we
// pushed to a real registry; tar reads `-o -`; the local exporter writes the filesystem.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { CLI_BIN, EXAMPLES, seededCli, stackLines, type Cli } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['runc', 'skopeo', 'docker-registry', 'tar'] });
const app = join(EXAMPLES, 'app');
const appBuild = ['-f', join(app, 'build.ts'), app];

describe.runIf(run).concurrent('outputs', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;
  let registry: TestRegistry | undefined;

  beforeAll(async () => {
    const [seeded, reg] = await Promise.all([seededCli(), startRegistry()]);
    ({ cli, dispose } = seeded);
    registry = reg;
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-out-'));
    // Warm the cache once so each output below measures only its exporter.
    await cli.ok(['build', '--progress=quiet', ...appBuild]);
  });
  afterAll(async () => {
    await registry?.stop();
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('-o type=oci,dest=out.tar is an OCI archive that skopeo inspects', async () => {
    const out = join(work, 'out.tar');
    await cli.ok(['build', '--progress=quiet', '-o', `type=oci,dest=${out}`, ...appBuild]);
    const { stdout } = await exec('skopeo', ['inspect', `oci-archive:${out}`]);
    const info = JSON.parse(stdout) as { Layers: string[]; Env: string[]; Labels: Record<string, string>; Os: string };
    expect(info.Os).toBe('linux');
    expect(info.Layers.length).toBeGreaterThanOrEqual(4);
    expect(info.Env).toContain('APP_ENV=production');
    expect(info.Labels['org.opencontainers.image.title']).toBe('tsbuild example app');
  });

  test('-o type=local,dest=DIR writes the filesystem', async () => {
    const out = join(work, 'rootfs');
    await cli.ok(['build', '--progress=quiet', '-o', `type=local,dest=${out}`, ...appBuild]);
    expect(await readFile(join(out, 'app', 'NAME'), 'utf8')).toBe('tsbuild-example\n');
    expect(await readFile(join(out, 'etc', 'app', 'config.json'), 'utf8')).toBe('{"greeting":"hello"}\n');
    expect((await readdir(join(out, 'app', 'deps'))).sort()).toEqual(['installed.txt', 'is-number', 'left-pad']);
    expect((await stat(join(out, 'app', 'greet.sh'))).mode & 0o111).not.toBe(0);
    // The cache mount's contents stay out of the image.
    expect(await readdir(join(out, 'var', 'cache', 'pkgs')).catch(() => [])).toEqual([]);
  });

  test('-o - writes a tar of the filesystem on stdout, progress on stderr', async () => {
    const r = await cli.ok(['build', '--progress=plain', '-o', '-', ...appBuild]);
    const tarFile = join(work, 'stdout.tar');
    await import('node:fs/promises').then((fs) => fs.writeFile(tarFile, r.stdoutBytes));
    const { stdout } = await exec('tar', ['-tf', tarFile]);
    const names = stdout.split('\n').map((n) => n.replace(/^\.\//, '').replace(/\/$/, ''));
    expect(names).toEqual(expect.arrayContaining(['app/NAME', 'app/greet.sh', 'etc/app/config.json', 'bin/busybox']));
    expect(r.stderr).toContain('#');
  });

  test('-o - into a reader that stops early ends quietly (no EPIPE crash, no stack)', async () => {
    const child = spawn(process.execPath, [CLI_BIN, 'build', '--progress=quiet', '-o', '-', ...appBuild], {
      env: { ...process.env, TSBUILD_ROOT: cli.root, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Close our end after the first bytes of the tar, like `| head -c 100`.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(141);
    expect(stderr).not.toContain('EPIPE');
    expect(stackLines(stderr)).toEqual([]);
  });

  test('-q prints only the image digest on stdout; --iidfile and --metadata-file agree with it', async () => {
    const iid = join(work, 'iid');
    const meta = join(work, 'meta.json');
    const r = await cli.ok(['build', '-q', '--iidfile', iid, '--metadata-file', meta, '-t', 'quiet-app', ...appBuild]);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const id = r.stdout.trim();
    expect(await readFile(iid, 'utf8')).toBe(id);
    const m = JSON.parse(await readFile(meta, 'utf8')) as Record<string, string>;
    expect(m['containerimage.config.digest']).toBe(id);
    expect(m['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(m['image.name']).toBe('docker.io/library/quiet-app:latest');
    const images = await cli.ok(['images', '--digests']);
    expect(images.stdout).toContain(m['containerimage.digest']);
  });

  test('push=true puts the image in a real registry that skopeo reads', async () => {
    const name = `${registry!.host}/app:1`;
    const r = await cli.ok(['build', '--progress=quiet', '-o', `type=image,name=${name},push=true`, ...appBuild]);
    expect(r.stderr).toContain(`pushed ${name}@sha256:`);
    const pushed = /pushed \S+@(sha256:[0-9a-f]{64})/.exec(r.stderr)![1];
    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`]);
    const info = JSON.parse(stdout) as { Digest: string; Env: string[]; Layers: string[] };
    expect(info.Digest).toBe(pushed);
    expect(info.Env).toContain('APP_ENV=production');
    expect(info.Layers.length).toBeGreaterThanOrEqual(4);
  });
});
