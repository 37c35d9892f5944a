// The build/prune lock protocol, in one process: each side writes its own file, then looks.
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { acquireBuildLock, liveBuilds, PruneLockedError } from '../../../executor/index.ts';
import { acquirePruneLock } from '../../../executor/gc/index.ts';

describe('build locks', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsbuild-locks-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('a build lock is listed until released; two builds in one process hold two locks', async () => {
    const a = await acquireBuildLock(root);
    const b = await acquireBuildLock(root);
    expect((await liveBuilds(root)).map((l) => l.pid)).toEqual([process.pid, process.pid]);
    await a();
    expect(await liveBuilds(root)).toHaveLength(1);
    await b();
    expect(await liveBuilds(root)).toEqual([]);
  });

  test('prune refuses while a build runs, and says how to override', async () => {
    const release = await acquireBuildLock(root);
    await expect(acquirePruneLock(root)).rejects.toThrow(PruneLockedError);
    // The refused prune left no lock behind: a second build does not wait.
    await (
      await acquireBuildLock(root, { onWait: () => expect.fail('waited') })
    )();
    const forced = await acquirePruneLock(root, true);
    expect(forced.builds).toHaveLength(1);
    await forced.release();
    await release();
  });

  test('a build waits for a running prune, then proceeds', async () => {
    const p = await acquirePruneLock(root);
    let waited = 0;
    const building = acquireBuildLock(root, { pollMs: 5, onWait: () => void waited++ });
    // The build is blocked until the prune releases; release once the build has said it waits.
    while (waited === 0) await new Promise((r) => setImmediate(r));
    await p.release();
    const release = await building;
    expect(waited).toBe(1);
    await release();
  });

  test('one prune at a time; locks of dead processes count for nothing', async () => {
    const p = await acquirePruneLock(root);
    await expect(acquirePruneLock(root)).rejects.toThrow(/another prune/);
    await p.release();
    await mkdir(join(root, 'locks'), { recursive: true });
    await writeFile(join(root, 'locks', 'prune.lock'), JSON.stringify({ pid: 999999999, since: '' }));
    await writeFile(join(root, 'locks', 'build-999999999-0.lock'), JSON.stringify({ pid: 999999999, since: '' }));
    const q = await acquirePruneLock(root);
    expect(q.builds).toEqual([]);
    await q.release();
    expect(await readdir(join(root, 'locks'))).toEqual([]);
  });

  test('an aborted wait releases the build lock', async () => {
    const p = await acquirePruneLock(root);
    const ac = new AbortController();
    const building = acquireBuildLock(root, { pollMs: 5, signal: ac.signal, onWait: () => ac.abort() });
    await expect(building).rejects.toThrow();
    expect(await liveBuilds(root)).toEqual([]);
    await p.release();
  });
});
