// `--builder docker://…`: builds run on the BuildKit embedded in a private dockerd (20.10, so
// BuildKit 0.8: no MergeOp), with the frontend, the session and the progress UI on this side.
// Results come back with `-o type=local` and must equal the same build run locally, file for file.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startProxy } from '../oci/registry-proxy.ts';
import { DOCKER_CLI, startDockerd, type TestDockerd } from '../support/dockerd.ts';
import { EXAMPLES, busyboxBuild, seededCli, stackLines, type Cli } from '../support/tsbuild-cli.ts';
import { parsePlain, step } from './helpers.ts';
import { dockerUpgrade } from '../../remote/connect.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['dockerd', 'runc', 'docker-registry', 'openssl', 'tar'] });

/** Every entry under `root`: type, permissions, owner, and content digest or link target. */
async function tree(root: string, rel = '', out: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const p = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, p);
    const st = await lstat(abs);
    const owner = `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
    if (st.isDirectory()) {
      out[p] = `dir ${owner}`;
      await tree(root, p, out);
    } else if (st.isSymbolicLink()) {
      out[p] = `link ${await readlink(abs)} ${st.uid}:${st.gid}`;
    } else {
      out[p] = `file ${owner} ${createHash('sha256')
        .update(await readFile(abs))
        .digest('hex')
        .slice(0, 16)}`;
    }
  }
  return out;
}

/**
 * What BuildKit 0.8 leaves in a rootfs that a local build does not: the mount points it made
 * for RUN (`/dev`, `/proc`, `/sys`, the resolv.conf and hosts it bind-mounts), empty.
 */
const RUN_STUBS = /^(dev|proc|sys|etc\/resolv\.conf|etc\/hosts|etc\/hostname|run|run\/secrets)$/;

function withoutStubs(t: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(t).filter(([p, v]) => !(RUN_STUBS.test(p) && (v.startsWith('dir') || v.endsWith(' e3b0c44298fc1c14')))));
}

describe.runIf(run)('--builder: a build on the BuildKit in dockerd', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let registry: TestRegistry;
  let dockerd: TestDockerd;
  let work: string;
  let base: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-remote-'));
    [{ cli, dispose }, registry] = await Promise.all([seededCli(), startRegistry()]);
    base = `${registry.host}/busybox:latest`;
    [dockerd] = await Promise.all([startDockerd([registry.host]), cli.ok(busyboxBuild(['-o', `type=image,name=${base},push=true`]))]);
  }, 60_000);
  afterAll(async () => {
    await dockerd?.stop();
    await registry?.stop();
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a Dockerfile with a context, .dockerignore, a secret and RUN --network=none: the same files as a local build', async () => {
    const ctx = join(work, 'df');
    await mkdir(join(ctx, 'src'), { recursive: true });
    await writeFile(join(ctx, 'src', 'main.sh'), '#!/bin/sh\necho main\n', { mode: 0o755 });
    await writeFile(join(ctx, 'src', 'notes.tmp'), 'ignored\n');
    await writeFile(join(ctx, '.dockerignore'), '**/*.tmp\n');
    await writeFile(join(work, 'token.txt'), 'tok-remote-42');
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        `FROM ${base}`,
        'WORKDIR /app',
        'COPY src/ /app/src/',
        'RUN --network=none --mount=type=secret,id=tok test "$(cat /run/secrets/tok)" = tok-remote-42 && echo secret-ok > /app/proof && ls /app/src > /app/listing',
        'RUN --network=none ip link show 2>/dev/null | grep -c "^[0-9]" > /app/interfaces || echo none > /app/interfaces',
        '',
      ].join('\n'),
    );
    const secret = ['--secret', `id=tok,src=${join(work, 'token.txt')}`];
    const remote = join(work, 'df-remote');
    const local = join(work, 'df-local');
    const r = await cli.ok(['build', '--progress=plain', '--builder', dockerd.builder, ...secret, '-o', `type=local,dest=${remote}`, ctx]);
    expect(step(parsePlain(r.stderr), 'RUN --network=none --mount').done).toBe(true);
    await cli.ok(['build', '--progress=quiet', ...secret, '-o', `type=local,dest=${local}`, ctx]);

    expect(await readFile(join(remote, 'app', 'proof'), 'utf8')).toBe('secret-ok\n');
    expect(await readFile(join(remote, 'app', 'listing'), 'utf8')).toBe('main.sh\n');
    expect((await readFile(join(remote, 'app', 'interfaces'), 'utf8')).trim()).toBe('1'); // loopback only
    await expect(lstat(join(remote, 'run', 'secrets', 'tok'))).rejects.toThrow();
    expect(withoutStubs(await tree(remote))).toEqual(withoutStubs(await tree(local)));
  }, 60_000);

  test('a build.ts with RUN and a named local with include patterns: the same files as a local build', async () => {
    const dir = join(work, 'ts');
    const tools = join(work, 'tools');
    await mkdir(join(tools, 'keep', 'sub'), { recursive: true });
    await mkdir(join(tools, 'drop'), { recursive: true });
    await writeFile(join(tools, 'keep', 'sub', 'tool.sh'), 'echo tool\n', { mode: 0o755 });
    await writeFile(join(tools, 'drop', 'no.txt'), 'no\n');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'data.txt'), 'from the context\n');
    await writeFile(
      join(dir, 'build.ts'),
      [
        "import { copy, image, type BuildContext } from 'tsbuild';",
        'export default (ctx: BuildContext) => ({',
        `  state: image('${base}')`,
        "    .file(copy(ctx.local('context'), 'data.txt', '/data.txt'))",
        "    .file(copy(ctx.local('tools', { include: ['keep/**'] }), '/', '/tools/', { copyDirContents: true, createDestPath: true }))",
        "    .run('tr a-z A-Z < /data.txt > /upper.txt && ls -R /tools > /tools.txt', { customName: 'shout', network: 'none' })",
        '    .root(),',
        '});',
        '',
      ].join('\n'),
    );
    const remote = join(work, 'ts-remote');
    const local = join(work, 'ts-local');
    const args = ['--local', `tools=${tools}`, dir];
    const r = await cli.ok(['build', '--progress=plain', '--builder', dockerd.builder, '-o', `type=local,dest=${remote}`, ...args]);
    expect(step(parsePlain(r.stderr), 'shout').done).toBe(true);
    await cli.ok(['build', '--progress=quiet', '-o', `type=local,dest=${local}`, ...args]);
    expect(await readFile(join(remote, 'upper.txt'), 'utf8')).toBe('FROM THE CONTEXT\n');
    expect(await readFile(join(remote, 'tools', 'keep', 'sub', 'tool.sh'), 'utf8')).toBe('echo tool\n');
    await expect(lstat(join(remote, 'tools', 'drop'))).rejects.toThrow();
    expect(withoutStubs(await tree(remote))).toEqual(withoutStubs(await tree(local)));

    // A symlink file action is past BuildKit 0.8: refused before anything is sent.
    const s = await cli.run([...busyboxBuild(['-o', `type=local,dest=${join(work, 'bb')}`]), '--builder', dockerd.builder]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('lacks the file.symlink.create capability');
  }, 60_000);

  test('-t lands in docker’s image store with the image config; COPY --link falls back with a warning', async () => {
    const ctx = join(work, 'app');
    await cp(join(EXAMPLES, 'app'), ctx, { recursive: true });
    const dockerfile = (await readFile(join(ctx, 'Dockerfile'), 'utf8')).replace(/^FROM busybox/gm, `FROM ${base}`);
    await writeFile(join(ctx, 'Dockerfile'), dockerfile);
    const iid = join(work, 'iid');
    const r = await cli.ok(['build', '--progress=plain', '--builder', dockerd.builder, '--network', 'none', '-t', 'remote-app:1', '--iidfile', iid, ctx]);
    expect(r.stderr).toMatch(/WARNING: .*Dockerfile:\d+: COPY --link needs MergeOp/);
    const { stdout } = await exec(DOCKER_CLI, [...dockerd.dockerArgs, 'image', 'inspect', '--format', '{{json .Config}}', 'remote-app:1']);
    const config = JSON.parse(stdout) as { Cmd: string[]; Env: string[]; WorkingDir: string; Labels: Record<string, string> };
    expect(config.Cmd).toEqual(['/app/greet.sh']);
    expect(config.Env).toContain('APP_ENV=production');
    expect(config.WorkingDir).toBe('/app');
    expect(config.Labels['org.opencontainers.image.title']).toBe('tsbuild example app');
    const id = await exec(DOCKER_CLI, [...dockerd.dockerArgs, 'image', 'inspect', '--format', '{{.Id}}', 'remote-app:1']);
    expect(await readFile(iid, 'utf8')).toBe(id.stdout.trim());
    const out = await exec(DOCKER_CLI, [...dockerd.dockerArgs, 'run', '--rm', '--network=none', 'remote-app:1', 'cat', '/etc/app/config.json']);
    expect(out.stdout).toBe('{"greeting":"hello"}\n');
  }, 60_000);

  test('a failing RUN: exit 1, the step, its exit code and output, no stack; merge() names the missing capability', async () => {
    const dir = join(work, 'fail');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo about-to-fail && exit 3\n`);
    const r = await cli.run(['build', '--progress=plain', '--builder', dockerd.builder, '--network', 'none', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR: "\[2\/2\] RUN echo about-to-fail && exit 3" failed: .*exit code: 3/);
    expect(r.stderr).toContain('about-to-fail');
    expect(r.stderr).toContain('>>> RUN echo about-to-fail && exit 3');
    expect(stackLines(r.stderr)).toEqual([]);

    const ts = join(work, 'merge');
    await mkdir(ts, { recursive: true });
    await writeFile(
      join(ts, 'build.ts'),
      `import { image, merge, mkfile, scratch } from 'tsbuild';\nexport default merge([image('${base}'), scratch().file(mkfile('/x', 0o644, 'x'))]);\n`,
    );
    const m = await cli.run(['build', '--progress=plain', '--builder', dockerd.builder, ts]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('uses merge() (or COPY --link), and the builder (docker 20.');
    expect(m.stderr).toContain('lacks the MergeOp capability');
    expect(stackLines(m.stderr)).toEqual([]);

    // What a daemon build does not do yet is refused up front, and a daemon that is not there is named.
    const cache = await cli.run(['build', '--builder', dockerd.builder, '--cache-to', `type=local,dest=${join(work, 'c')}`, dir]);
    expect({ code: cache.code, err: /--builder: --cache-to\/--cache-from type=local is not supported with a BuildKit daemon yet/.test(cache.stderr) }).toEqual({
      code: 1,
      err: true,
    });
    const gone = await cli.run(['build', '--builder', `docker://unix://${join(work, 'nothing.sock')}`, dir]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/cannot reach the docker daemon at .*nothing\.sock/);
    expect(stackLines(gone.stderr)).toEqual([]);
  }, 60_000);

  test('-o type=tar comes back through the session; --progress=rawjson shows the daemon’s vertices and logs', async () => {
    const dir = join(work, 'tar');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo tar-log-line && echo in-tar > /in-tar.txt\n`);
    const out = join(work, 'out.tar');
    const r = await cli.ok(['build', '--progress=rawjson', '--network', 'none', '--builder', dockerd.builder, '-o', `type=tar,dest=${out}`, dir]);
    const statuses = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { vertexes?: { name: string; completed?: string }[]; logs?: { data: string }[] });
    expect(statuses.some((s) => s.vertexes?.some((v) => v.name.includes('RUN echo tar-log-line') && v.completed))).toBe(true);
    expect(statuses.some((s) => s.logs?.some((l) => Buffer.from(l.data, 'base64').toString().includes('tar-log-line')))).toBe(true);
    const { stdout } = await exec('tar', ['-xOf', out, 'in-tar.txt']);
    expect(stdout).toBe('in-tar\n');
  }, 30_000);

  test('push=true with the docker builder: stored in docker, then pushed by the daemon', async () => {
    const dir = join(work, 'push');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo pushed > /pushed.txt\nCMD ["cat", "/pushed.txt"]\n`);
    const name = `${registry.host}/pushed-app:v1`;
    const r = await cli.ok(['build', '--progress=plain', '--network', 'none', '--builder', dockerd.builder, '-o', `type=image,name=${name},push=true`, dir]);
    expect(r.stderr).toContain(`pushed ${name}`);
    const res = await fetch(`${registry.url}/v2/pushed-app/manifests/v1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as { config: { digest: string } };
    const config = (await (await fetch(`${registry.url}/v2/pushed-app/blobs/${manifest.config.digest}`)).json()) as { config: { Cmd: string[] } };
    expect(config.config.Cmd).toEqual(['cat', '/pushed.txt']);
  }, 30_000);

  test('--cache-to type=inline and --cache-from go to the daemon: a pruned daemon reuses the pushed cache', async () => {
    const dir = join(work, 'cache');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nRUN head -c 16 /dev/urandom | od -An -tx1 > /random.txt\n`);
    const name = `${registry.host}/cached-app:v1`;
    const onDaemon = ['--progress=plain', '--network', 'none', '--builder', dockerd.builder];
    await cli.ok(['build', ...onDaemon, '--cache-to', 'type=inline', '-o', `type=image,name=${name},push=true`, dir]);
    await exec(DOCKER_CLI, [...dockerd.dockerArgs, 'rmi', name]);
    await exec(DOCKER_CLI, [...dockerd.dockerArgs, 'builder', 'prune', '-af']);
    const first = join(work, 'cache-first');
    const again = join(work, 'cache-again');
    const hit = await cli.ok(['build', ...onDaemon, '--cache-from', name, '-o', `type=local,dest=${again}`, dir]);
    expect(step(parsePlain(hit.stderr), 'RUN head').cached).toBe(true);
    const r = await cli.ok(['build', ...onDaemon, '--no-cache', '-o', `type=local,dest=${first}`, dir]);
    expect(step(parsePlain(r.stderr), 'RUN head').cached).toBe(false);
    const pushed = await exec(DOCKER_CLI, [...dockerd.dockerArgs, 'run', '--rm', '--network=none', name, 'cat', '/random.txt']);
    expect(await readFile(join(again, 'random.txt'), 'utf8')).toBe(pushed.stdout);
    expect(await readFile(join(first, 'random.txt'), 'utf8')).not.toBe(pushed.stdout);
  }, 60_000);

  test('registry credentials reach the daemon through the session, from the Docker config', async () => {
    const proxy = await startProxy(registry.url, { auth: { scheme: 'bearer', user: 'builder', pass: 's3cret' } });
    try {
      const config = join(work, 'docker-config');
      await mkdir(config, { recursive: true });
      await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('builder:s3cret').toString('base64') } } }));
      const dir = join(work, 'auth');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'Dockerfile'), `FROM ${proxy.host}/busybox:latest\nRUN echo authed > /authed.txt\n`);
      const out = join(work, 'auth-out');
      // --no-resolve: the frontend does not contact the registry, so every pull is the daemon's.
      const args = ['build', '--progress=plain', '--no-resolve', '--network', 'none', '--builder', dockerd.builder, '-o', `type=local,dest=${out}`, dir];
      const denied = await cli.run(args, { env: { DOCKER_CONFIG: join(work, 'no-config') } });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/ERROR: .*FROM .*busybox.*failed: .*(401|[Uu]nauthorized|authoriz)/);
      await cli.ok(args, { env: { DOCKER_CONFIG: config } });
      expect(await readFile(join(out, 'authed.txt'), 'utf8')).toBe('authed\n');
      expect(proxy.tokenRequests.length).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  }, 30_000);

  test('--ssh: the daemon asks for the agent through the session and mounts its socket', async () => {
    const agentSocket = join(work, 'agent.sock');
    let connections = 0;
    const agent = net.createServer((c) => {
      connections++;
      c.end('agent-says-hello\n');
    });
    await new Promise<void>((resolve) => agent.listen(agentSocket, resolve));
    try {
      const dir = join(work, 'ssh');
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, 'Dockerfile'),
        `FROM ${base}\nRUN --mount=type=ssh,required=true test -S "$SSH_AUTH_SOCK" && echo "agent at $SSH_AUTH_SOCK" > /proof\n`,
      );
      const out = join(work, 'ssh-out');
      const onDaemon = ['--network', 'none', '--builder', dockerd.builder];
      await cli.ok(['build', '--progress=plain', ...onDaemon, '--ssh', `default=${agentSocket}`, '-o', `type=local,dest=${out}`, dir]);
      expect(await readFile(join(out, 'proof'), 'utf8')).toMatch(/^agent at \/\S+\n$/);
      // Without --ssh the daemon's CheckAgent fails and so does the required mount.
      const r = await cli.run(['build', '--progress=plain', ...onDaemon, '--no-cache', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ssh/i);
      expect(connections).toBe(0); // busybox has no client for a unix socket: nothing connected
    } finally {
      agent.close();
    }
  }, 30_000);

  test('buildkitd’s addresses: unix://, tcp:// and tcp:// with TLS, each relayed into the daemon’s gRPC', async () => {
    // Each connection is handed to docker's /grpc upgrade, so what answers is BuildKit's Control
    // service as buildkitd serves it on its own socket, and the session takes the Control/Session tunnel.
    const relay = (client: net.Socket) => {
      client.on('error', () => {});
      void dockerUpgrade(dockerd.socket, '/grpc').then((up) => {
        up.on('error', () => client.destroy());
        client.pipe(up).pipe(client);
      });
    };
    const pki = join(work, 'pki');
    await mkdir(pki, { recursive: true });
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(pki, 'key.pem'),
      '-out',
      join(pki, 'cert.pem'),
    ]);
    const [key, cert] = await Promise.all([readFile(join(pki, 'key.pem')), readFile(join(pki, 'cert.pem'))]);
    const unixPath = join(work, 'buildkitd.sock');
    const servers = [
      net.createServer(relay),
      net.createServer(relay),
      tls.createServer({ key, cert, ca: cert, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] }, relay),
    ];
    await new Promise<void>((r) => servers[0]!.listen(unixPath, r));
    await new Promise<void>((r) => servers[1]!.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => servers[2]!.listen(0, '127.0.0.1', r));
    const port = (i: number) => (servers[i]!.address() as net.AddressInfo).port;
    try {
      const dir = join(work, 'addresses');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'hello.txt'), 'over the wire\n');
      await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY hello.txt /hello.txt\n`);
      const tlsFlags = ['--tlscacert', join(pki, 'cert.pem'), '--tlscert', join(pki, 'cert.pem'), '--tlskey', join(pki, 'key.pem')];
      for (const [i, builder] of [[`unix://${unixPath}`], [`tcp://127.0.0.1:${port(1)}`], [`tcp://127.0.0.1:${port(2)}`, ...tlsFlags]].entries()) {
        const out = join(work, `addresses-${i}`);
        await cli.ok(['build', '--progress=quiet', '--builder', ...builder, '-o', `type=local,dest=${out}`, dir]);
        expect(await readFile(join(out, 'hello.txt'), 'utf8')).toBe('over the wire\n');
      }
      // Without the client certificate the TLS server refuses the connection.
      const refused = await cli.run(['build', '--progress=quiet', '--builder', `tcp://127.0.0.1:${port(2)}`, '--tlscacert', join(pki, 'cert.pem'), dir]);
      expect(refused.code).toBe(1);
      expect(stackLines(refused.stderr)).toEqual([]);
    } finally {
      for (const s of servers) s.close();
    }
  }, 60_000);

  test('a daemon that goes away mid-build: a clear error, exit 1', async () => {
    // A proxy in front of the daemon's socket, cut as soon as the RUN has printed its marker.
    const proxy = join(work, 'proxy.sock');
    const conns = new Set<net.Socket>();
    const cut = () => {
      for (const c of conns) c.destroy();
    };
    const server = net.createServer((client) => {
      const upstream = net.connect(dockerd.socket);
      conns.add(client).add(upstream);
      client.pipe(upstream);
      upstream.on('data', (d: Buffer) => {
        if (d.includes('marker-started')) setImmediate(cut);
      });
      upstream.pipe(client);
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(proxy, resolve));
    try {
      const dir = join(work, 'gone');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo marker-started && sleep 30\n`);
      const started = Date.now();
      const r = await cli.run(['build', '--progress=plain', '--builder', `docker://unix://${proxy}`, '--network', 'none', dir], { timeoutMs: 25_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ERROR: lost the connection to the BuildKit daemon \(docker:\/\/unix:\/\/.*proxy\.sock\) during the build/);
      expect(stackLines(r.stderr)).toEqual([]);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      cut();
      server.close();
    }
  }, 60_000);
});
