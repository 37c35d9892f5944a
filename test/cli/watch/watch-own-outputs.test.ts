// What tsbuild writes (its state root, a local output) may lie inside the watched context: it is
// neither watched nor read as context, so a build never triggers the next one.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readText, sleep, startWatch, waitFor, type WatchProcess } from './watch-process.ts';

// Long enough for the next build to start if anything tsbuild wrote were taken for an edit.
const QUIET_MS = 1500;

const dirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function context(): Promise<string> {
  const ctx = await tempDir('watch-own-');
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  await writeFile(join(ctx, 'app.txt'), 'one\n');
  return ctx;
}

/** After the first build: quiet while nothing is edited, then one rebuild per edit. */
async function checkQuietThenOneRebuild(w: WatchProcess, ctx: string, out: string): Promise<void> {
  await waitFor(async () => (await readText(join(out, 'app.txt'))) === 'one\n', `the first output (log: ${w.log()})`);
  await waitFor(() => w.ended() === 1, `the first status line (log: ${w.log()})`);
  await sleep(QUIET_MS);
  expect(w.started(), w.log()).toBe(1);
  expect(w.log()).not.toContain('canceled');

  await writeFile(join(ctx, 'app.txt'), 'two\n');
  await waitFor(async () => (await readText(join(out, 'app.txt'))) === 'two\n', `the rebuilt output (log: ${w.log()})`);
  await waitFor(() => w.ended() === 2, `the second status line (log: ${w.log()})`);
  await sleep(QUIET_MS);
  expect(w.started(), w.log()).toBe(2);
  expect(w.log()).not.toContain('canceled');
}

describe('watch mode and what tsbuild writes', () => {
  let w: WatchProcess | undefined;
  afterEach(async () => {
    await w?.stop();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('a state root inside the context is not watched and not copied', async () => {
    const ctx = await context();
    const out = await tempDir('watch-own-out-');
    w = startWatch(['-o', `type=local,dest=${out}`, '.'], { TSBUILD_ROOT: './.state' }, ctx);
    await checkQuietThenOneRebuild(w, ctx, out);
    expect((await readdir(out)).sort()).toEqual(['Dockerfile', 'app.txt']);
  });

  it('a local output inside the context is not watched and not copied into the next output', async () => {
    const ctx = await context();
    const root = await tempDir('watch-own-root-');
    const out = join(ctx, 'out');
    await mkdir(out);
    w = startWatch(['-o', `type=local,dest=${out}`, ctx], { TSBUILD_ROOT: root });
    await checkQuietThenOneRebuild(w, ctx, out);
    expect((await readdir(out)).sort()).toEqual(['Dockerfile', 'app.txt']);
  });
});
