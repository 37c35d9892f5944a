// Watch mode for real: a CLI process watching a context, an edit, the rebuilt output.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { readText, waitFor } from './watch-process.ts';

const repo = resolve(import.meta.dirname, '../../..');

const read = readText;

describe('tsbuild build --watch', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterEach(() => child?.kill('SIGINT'));

  it('rebuilds when a file the build reads changes, and not for one it ignores', async () => {
    const ctx = await mkdtemp(join(tmpdir(), 'watch-ctx-'));
    const out = await mkdtemp(join(tmpdir(), 'watch-out-'));
    await writeFile(
      join(ctx, 'build.ts'),
      [
        "import { copy, scratch, type BuildContext } from 'tsbuild';",
        "export default (ctx: BuildContext) => scratch().file(copy(ctx.local('context', { include: ['app.txt'] }), 'app.txt', '/app.txt'));",
      ].join('\n'),
    );
    await writeFile(join(ctx, 'app.txt'), 'one\n');
    await writeFile(join(ctx, 'other.txt'), 'x\n');
    let log = '';
    child = spawn(process.execPath, [join(repo, 'cli/bin.js'), 'build', '--watch', '--progress=plain', '-o', `type=local,dest=${out}`, ctx], {
      env: { ...process.env, TSBUILD_ROOT: await mkdtemp(join(tmpdir(), 'watch-root-')), CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const builds = () => log.split('\n').filter((l) => l.startsWith('watching ')).length;

    await waitFor(async () => (await read(join(out, 'app.txt'))) === 'one\n', `the first output (log: ${log})`);
    await waitFor(async () => builds() === 1, 'the status line');
    expect(log).toMatch(/watching \d+ files · last build [\d.]+s ✔/);

    // other.txt is outside the build's selection: no rebuild.
    await writeFile(join(ctx, 'other.txt'), 'changed, but not read by the build\n');
    await new Promise((r) => setTimeout(r, 700));
    expect(builds()).toBe(1);

    await writeFile(join(ctx, 'app.txt'), 'two\n');
    await waitFor(async () => (await read(join(out, 'app.txt'))) === 'two\n', `the rebuilt output (log: ${log})`);
    await waitFor(async () => builds() === 2, 'the second status line');
    expect(log).toMatch(/last build [\d.]+s ✔ · 1 step rebuilt/);
  });

  it('exits promptly on SIGTERM during a build, without re-arming the file watch', async () => {
    const ctx = await mkdtemp(join(tmpdir(), 'watch-term-'));
    const out = await mkdtemp(join(tmpdir(), 'watch-term-out-'));
    const root = await mkdtemp(join(tmpdir(), 'watch-root-'));
    onTestFinished(() => Promise.all([ctx, out, root].map((d) => rm(d, { recursive: true, force: true }))).then(() => {}));
    await writeFile(
      join(ctx, 'build.ts'),
      [
        "import { copy, scratch, type BuildContext } from 'tsbuild';",
        "export default (ctx: BuildContext) => scratch().file(copy(ctx.local('context', { include: ['big.bin'] }), 'big.bin', '/big.bin'));",
      ].join('\n'),
    );
    // Big enough that the build is still running when the signal comes.
    await writeFile(join(ctx, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 1));
    let log = '';
    const proc = spawn(process.execPath, [join(repo, 'cli/bin.js'), 'build', '--watch', '--progress=plain', '-o', `type=local,dest=${out}`, ctx], {
      env: { ...process.env, TSBUILD_ROOT: root, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout.on('data', (d) => (log += d));
    proc.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    await waitFor(async () => /^#\d+ /m.test(log), `the build to start (log: ${log})`);
    proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(code, log).toBe(0);
  }, 30_000);
});
