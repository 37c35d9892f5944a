// A private docker daemon (Debian's docker.io, with the BuildKit it embeds) for tests of
// `--builder docker://…`: its socket, data root, exec root and pidfile all live in one temp
// directory; no bridge network and no iptables rules, so it leaves the machine as it found it.
// Tests that use it call `requirePrereqs({ root: true, commands: ['dockerd'] })`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';

export interface TestDockerd {
  /** Path of the API socket. */
  readonly socket: string;
  /** `docker://unix://<socket>`: the `--builder` address. */
  readonly builder: string;
  /** Runs `docker -H … ARGS` (Debian's 20.10 CLI). */
  readonly dockerArgs: readonly string[];
  stop(): Promise<void>;
}

export const DOCKER_CLI = '/usr/bin/docker';

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/** Starts dockerd; `insecureRegistries` are hosts it may pull from over plain HTTP. */
export async function startDockerd(insecureRegistries: readonly string[] = []): Promise<TestDockerd> {
  // Short paths: containerd's sockets live under the exec root, and socket paths are limited to 107 bytes.
  const dir = await mkdtemp('/tmp/tsbd-');
  const socket = join(dir, 'docker.sock');
  const config = {
    'data-root': join(dir, 'data'),
    'exec-root': join(dir, 'exec'),
    pidfile: join(dir, 'docker.pid'),
    hosts: [`unix://${socket}`],
    iptables: false,
    ip6tables: false,
    'ip-forward': false,
    'ip-masq': false,
    bridge: 'none',
    'exec-opts': ['native.cgroupdriver=cgroupfs'],
    'insecure-registries': [...insecureRegistries],
    features: { buildkit: true },
    'log-level': 'warn',
  };
  await writeFile(join(dir, 'daemon.json'), JSON.stringify(config));
  const child: ChildProcess = spawn('dockerd', ['--config-file', join(dir, 'daemon.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-6000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`dockerd exited with ${child.exitCode}:\n${output}`);
    }
    if (await ping(socket)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer on ${socket} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { socket, builder: `docker://unix://${socket}`, dockerArgs: ['-H', `unix://${socket}`], stop };
}
