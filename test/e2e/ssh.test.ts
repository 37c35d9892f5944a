// `--ssh`: an agent socket of the host is forwarded into RUN --mount=type=ssh, with SSH_AUTH_SOCK
// pointing at it; a required ssh mount without --ssh fails clearly (an optional one, BuildKit's
// default, just runs without it).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { seededCli, type Cli } from '../support/tsbuild-cli.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });

describe.runIf(run)('ssh agent forwarding', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;
  let agent: Server;
  let socket: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-ssh-'));
    socket = join(work, 'agent.sock');
    // A stand-in agent: answers every connection with a fixed line.
    agent = createServer((c) => c.end('agent-says-hello\n'));
    await new Promise<void>((resolve) => agent.listen(socket, resolve));
  });
  afterAll(async () => {
    agent?.close();
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the socket is mounted, SSH_AUTH_SOCK names it, and it reaches the host agent', async () => {
    const ctx = join(work, 'ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        'FROM busybox',
        // busybox has no client for unix sockets: the check is that a socket is there.
        'RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "forwarded at $SSH_AUTH_SOCK" > /proof',
      ].join('\n') + '\n',
    );
    const out = join(work, 'out');
    await cli.ok(['build', '--progress=plain', '--ssh', `default=${socket}`, '-o', `type=local,dest=${out}`, ctx]);
    expect(await readFile(join(out, 'proof'), 'utf8')).toMatch(/^forwarded at \/run\/buildkit\/ssh_agent\.\d+\n$/);
  });

  test('a required ssh mount without --ssh fails with a clear message', async () => {
    const ctx = join(work, 'ctx2');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=ssh,required=true true\n');
    const r = await cli.run(['build', '--progress=plain', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ssh/i);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
