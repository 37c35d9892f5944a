// The build server, used as users use it: `tsbuild server --detach` on a state root, then
// ordinary `tsbuild build` commands, each a child process. What a command prints, writes and
// exits with must not depend on whether the server ran it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servable } from '../../../cli/server/client.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { CLI_BIN, REPO_ROOT, seededCli, type Cli } from '../../support/tsbuild-cli.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });

/** Commands the server ran, from its own status. */
async function served(cli: Cli): Promise<number> {
  const r = await cli.ok(['server', '--status']);
  return Number(/: (\d+) commands run/.exec(r.stdout)?.[1]);
}

describe.runIf(run)('the build server', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let ctx: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    ctx = await mkdtemp(join(tmpdir(), 'tsbuild-server-ctx-'));
    await writeFile(join(ctx, 'hello.txt'), 'hello\n');
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY hello.txt /hello.txt\nRUN --mount=type=secret,id=word cat /run/secrets/word > /word.txt\n');
    const started = await cli.ok(['server', '--detach', '--idle-timeout', '5m']);
    expect(started.stdout).toMatch(/^tsbuild server started \(pid \d+\), listening on .*run\/server\.sock\n$/);
    // It loads what a first build needs while it waits for one.
    const log = join(cli.root, 'run', 'server.log');
    for (let i = 0; i < 100 && !/build code loaded in \d+ ms/.test(await readFile(log, 'utf8')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await readFile(log, 'utf8')).toMatch(/build code loaded in \d+ ms/);
  }, 120_000);

  afterAll(async () => {
    await cli?.run(['server', '--stop']);
    await dispose?.();
    await rm(ctx, { recursive: true, force: true });
  });

  it('runs a build as the client would: its directory, its environment, its exit code', async () => {
    const before = await served(cli);
    // Relative paths resolve against the client's directory; the secret comes from its environment.
    const r = await cli.ok(['build', '--progress=plain', '--secret', 'id=word,env=WORD', '-o', 'type=local,dest=out-a', '.'], {
      cwd: ctx,
      env: { WORD: 'first' },
    });
    expect(r.stderr).toContain('COPY hello.txt /hello.txt');
    expect(await readFile(join(ctx, 'out-a', 'word.txt'), 'utf8')).toBe('first');
    // (A secret is not part of the cache key, as in BuildKit: --no-cache makes the RUN read it again.)
    await cli.ok(['build', '-q', '--no-cache', '--secret', 'id=word,env=WORD', '-o', 'type=local,dest=out-b', '.'], { cwd: ctx, env: { WORD: 'second' } });
    expect(await readFile(join(ctx, 'out-b', 'word.txt'), 'utf8')).toBe('second');
    expect(await served(cli)).toBe(before + 2);

    // The same build without the server gives the same image.
    const viaServer = await cli.ok(['build', '-q', '--secret', 'id=word,env=WORD', '.'], { cwd: ctx, env: { WORD: 'first' } });
    const alone = await cli.ok(['build', '-q', '--secret', 'id=word,env=WORD', '.'], { cwd: ctx, env: { WORD: 'first', TSBUILD_SERVER: '0' } });
    expect(viaServer.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(viaServer.stdout).toBe(alone.stdout);
    expect(await served(cli)).toBe(before + 3);
  }, 60_000);

  it('reports a failing build like a build of its own: the step, the error, exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-server-fail-'));
    try {
      await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo about to fail && exit 3\n');
      const before = await served(cli);
      const r = await cli.run(['build', '--progress=plain', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('about to fail');
      expect(r.stderr).toMatch(/exit code: 3/);
      expect(r.stderr).toContain('Dockerfile:2');
      expect(await served(cli)).toBe(before + 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('cancels the build of an interrupted client, runs a second client itself meanwhile, and goes on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-server-int-'));
    try {
      await writeFile(join(dir, 'Dockerfile'), `FROM busybox\nRUN echo started-${Date.now()} && sleep 30\n`);
      const child = spawn(process.execPath, [CLI_BIN, 'build', '--progress=plain', dir], {
        cwd: REPO_ROOT,
        env: { ...process.env, TSBUILD_ROOT: cli.root, CI: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) =>
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (/started-\d+/.test(stderr.replace(/RUN echo started-\d+/, ''))) resolve();
        }),
      );
      // Busy: this client is not kept waiting, it builds in its own process.
      const status = await cli.ok(['server', '--status']);
      expect(status.stdout).toContain('running one now');
      const before = await served(cli);
      await cli.ok(['build', '-q', '--secret', 'id=word,env=WORD', '.'], { cwd: ctx, env: { WORD: 'first' } });
      expect(await served(cli)).toBe(before);

      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('CANCELED');
      // The server is free again.
      await cli.ok(['build', '-q', '--secret', 'id=word,env=WORD', '.'], { cwd: ctx, env: { WORD: 'first' } });
      expect(await served(cli)).toBe(before + 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses a second server on the same state root', async () => {
    const r = await cli.run(['server']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a tsbuild server already serves .* \(stop it with `tsbuild server --stop`\)/);
  });

  it('stops when a client runs other code, and that client builds itself', async () => {
    const r = await cli.ok(['build', '-q', '--secret', 'id=word,env=WORD', '.'], { cwd: ctx, env: { WORD: 'first', TSBUILD_SOURCES: '1' } });
    expect(r.stdout).toMatch(/^sha256:/);
    const status = await cli.run(['server', '--status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^no tsbuild server runs for /);
    // Started again, it serves.
    await cli.ok(['server', '--detach']);
    expect(await served(cli)).toBe(0);
  }, 60_000);
});

describe('build server basics', () => {
  it('hands over build and solve, but not commands that read stdin or watch', () => {
    const env = {};
    expect(servable(['build', '-t', 'x', '.'], env)).toBe(true);
    expect(servable(['--debug', 'solve', 'build.ts'], env)).toBe(true);
    expect(servable(['build', '-f', '-', '.'], env)).toBe(false);
    expect(servable(['build', '-o', 'type=tar,dest=-', '.'], env)).toBe(false);
    expect(servable(['build', '--watch', '.'], env)).toBe(false);
    expect(servable(['images'], env)).toBe(false);
    expect(servable(['build', '.'], { TSBUILD_SERVER: '0' })).toBe(false);
  });

  it('stops after its idle timeout, and says when none runs', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tsbuild-server-idle-'));
    try {
      const run = (args: string[], env: Record<string, string> = {}) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const c = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, TSBUILD_ROOT: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          c.stdout.on('data', (d: Buffer) => (out += d.toString()));
          c.stderr.on('data', (d: Buffer) => (out += d.toString()));
          c.on('exit', (code) => resolve({ code, out }));
        });
      expect((await run(['server', '--detach', '--idle-timeout', '1s'])).code).toBe(0);
      expect((await run(['server', '--status'])).code).toBe(0);
      await new Promise((r) => setTimeout(r, 2500));
      const after = await run(['server', '--status']);
      expect(after.code).toBe(1);
      expect(after.out).toContain('no tsbuild server runs for');
      const fromSources = await run(['server'], { TSBUILD_SOURCES: '1' });
      expect(fromSources.code).toBe(1);
      expect(fromSources.out).toContain('the build server runs a prebuilt or installed CLI');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 30_000);
});
