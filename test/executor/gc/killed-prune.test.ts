// A prune killed at any point leaves a root that the next build (and the next prune) can use.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { acquireBuildLock, prune, usage } from '../../../executor/index.ts';
import { appGraph, build, harness, ok, ranSteps, readResult, tagResult, type Harness } from './helpers.ts';

const IMAGE = 'tsbuild.test/gc-killed:1';

/** Runs the child until it pauses at the point, then SIGKILLs it; false if it never got there. */
function pruneKilledAt(root: string, kind: string, nth: number): Promise<boolean> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'prune-child.ts'), root, kind, String(nth), 'native'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('paused')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0 && out.includes('finished')) resolve(false);
      else reject(new Error(`prune child exited with ${code ?? signal}`));
    });
  });
}

describe('a prune killed mid-way', () => {
  let root: string;
  let h: Harness;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsbuild-gc-kill-'));
    h = await harness({ snapshotter: 'native' }, root);
    const x = ok(await build(h, appGraph('x')));
    await tagResult(h, x, IMAGE);
    const y = ok(await build(h, appGraph('y')));
    // An image whose name is then removed: its blobs are garbage for the sweep to delete.
    await tagResult(h, y, 'tsbuild.test/gone:1');
    await h.executor.stores.images.remove('tsbuild.test/gone:1');
    await h.reopen({ snapshotter: 'native' });
  });
  afterEach(async () => {
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  test.each([
    ['records', 1],
    ['ref', 3],
    ['snapshot', 1],
    ['snapshot', 3],
    ['blob', 2],
    ['link', 1],
    ['dir', 1],
  ] as const)('at %s #%i: the next build and prune succeed', async (kind, nth) => {
    expect(await pruneKilledAt(root, kind, nth)).toBe(true);

    // The dead prune's lock does not hold builds back.
    const release = await acquireBuildLock(root, { onWait: () => expect.fail('waited for a dead prune') });
    try {
      await h.reopen({ snapshotter: 'native' });
      const again = await build(h, appGraph('y'));
      expect(await readResult(h, ok(again), 'app/data.txt')).toBe('payload y\n');
      expect(await readResult(h, ok(again), 'b-y.txt')).toBe('b y\n');
      const x = await build(h, appGraph('x'));
      expect(await readResult(h, ok(x), 'app/data.txt')).toBe('payload x\n');
      // Whatever survived still hits next time.
      await h.reopen({ snapshotter: 'native' });
      expect(ranSteps((await build(h, appGraph('y'))).ran)).toEqual([]);
    } finally {
      await release();
    }
    await h.reopen({ snapshotter: 'native' });

    await prune(root, { all: true });
    const u = await usage(root);
    expect(u.records).toBe(0);
    expect(u.categories.find((c) => c.name === 'snapshots')!.count).toBe(0);
    const img = await h.executor.stores.images.resolve(IMAGE);
    for (const l of img!.manifest.layers) expect(await h.executor.stores.content.has(l.digest)).toBe(true);
  });
});
