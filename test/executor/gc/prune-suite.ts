// The prune suite, run per snapshotter. Mark and sweep on a real root: builds made with the executor and the solver (file ops only),
// one result stored as an image, then prune with each policy.
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SnapshotterName } from '../../../executor/index.ts';
import { acquireBuildLock, prune, PruneLockedError, usage, type DiskUsage } from '../../../executor/index.ts';
import { DiskCacheStore, parseCacheKey, type CacheKey } from '../../../solver/index.ts';
import { appGraph, bigGraph, build, harness, ok, ranSteps, readResult, setLastUsed, tagResult, type Harness } from './helpers.ts';

const IMAGE = 'tsbuild.test/gc-app:1';

function category(u: DiskUsage, name: string) {
  const c = u.categories.find((x) => x.name === name);
  if (!c) throw new Error(`no category ${name}`);
  return c;
}

async function refIds(root: string): Promise<string[]> {
  return (await readdir(join(root, 'refs'))).filter((n) => n.endsWith('.json'));
}

export function pruneSuite(snapshotter: SnapshotterName): void {
  describe(`prune on ${snapshotter}`, () => {
    let root: string;
    let h: Harness;

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'tsbuild-gc-'));
      h = await harness({ snapshotter }, root);
    });
    afterEach(async () => {
      await h.close();
      await rm(root, { recursive: true, force: true });
    });

    /** Builds app "x" (tagged as an image) and app "y" (cache only); closes the harness stores. */
    async function populate() {
      const x = ok(await build(h, appGraph('x')));
      const exported = await tagResult(h, x, IMAGE);
      ok(await build(h, appGraph('y')));
      await h.reopen({ snapshotter });
      return exported.local!;
    }

    test('--all removes every cache record and all that only they used; the image stays whole', async () => {
      const image = await populate();
      const before = await usage(root);
      expect(before.records).toBeGreaterThan(0);
      expect(category(before, 'snapshots').count).toBeGreaterThan(0);
      expect(before.reclaimable).toBeGreaterThan(0);

      // A listing of a layer no blob holds any more goes; the image's layers keep theirs.
      const orphan = 'f'.repeat(64);
      await h.executor.stores.content.setLink('layer-files-v1', orphan, { tarSize: 0, entries: [] });

      const r = await prune(root, { all: true });
      expect(r.removedRecords).toBe(before.records);
      expect(r.removedSnapshots).toBe(category(before, 'snapshots').count);
      expect(r.reclaimedBytes).toBeGreaterThan(0);

      const after = await usage(root);
      expect(after.records).toBe(0);
      expect(category(after, 'refs').count).toBe(0);
      expect(category(after, 'snapshots').count).toBe(0);
      expect(after.size).toBeLessThan(before.size);
      expect(after.reclaimable).toBe(0);
      expect(await refIds(root)).toEqual([]);

      // The image resolves and every blob it names is still there; nothing else is.
      const resolved = await h.executor.stores.images.resolve(IMAGE);
      expect(resolved?.manifestDescriptor.digest).toBe(image.manifestDescriptor.digest);
      const content = h.executor.stores.content;
      const named = [resolved!.manifestDescriptor.digest, resolved!.configDescriptor.digest, ...resolved!.manifest.layers.map((l) => l.digest)];
      for (const d of named) expect(await content.has(d)).toBe(true);
      expect((await content.list()).sort()).toEqual([...new Set(named)].sort());
      const listings = (await content.listLinks()).filter((l) => l.kind === 'layer-files-v1').map((l) => l.key);
      expect(listings).not.toContain(orphan);
      expect(listings.sort()).toEqual(resolved!.config.rootfs.diff_ids.map((d) => d.slice(7)).sort());

      // A rebuild misses everything and runs.
      await h.reopen({ snapshotter });
      const again = await build(h, appGraph('x'));
      expect(ranSteps(again.ran)).toEqual(['branch x', 'merge x', 'mkdir x', 'write x']);
      expect(await readResult(h, ok(again), 'app/data.txt')).toBe('payload x\n');
    });

    test('without options only dangling data goes: a record whose ref is gone, an orphan ref', async () => {
      await populate();
      const before = await usage(root);
      const store = new DiskCacheStore(root);
      const danglingKey = parseCacheKey(`sha256:${'ab'.repeat(32)}`) as CacheKey;
      await store.put([{ key: danglingKey, resultId: 'r-000000000000000000000000' }]);
      store.close();
      await writeFile(
        join(root, 'refs', 'r-111111111111111111111111.json'),
        JSON.stringify({ v: 1, id: 'r-111111111111111111111111', source: { kind: 'empty' }, layers: [], created: new Date().toISOString() }),
      );

      const r = await prune(root);
      expect(r.removedRecords).toBe(1);
      expect(r.danglingResults).toBe(1);
      expect(r.removedRefs).toBe(1);
      expect(r.removedSnapshots).toBe(0);
      const after = await usage(root);
      expect(after.records).toBe(before.records);
      expect(category(after, 'snapshots').count).toBe(category(before, 'snapshots').count);

      // Everything kept still hits.
      await h.reopen({ snapshotter });
      expect(ranSteps((await build(h, appGraph('y'))).ran)).toEqual([]);
    });

    test('--filter until keeps recently used records and drops the others', async () => {
      const old = ok(await build(h, bigGraph('o', 4096)));
      const recent = ok(await build(h, bigGraph('r', 4096)));
      await h.reopen({ snapshotter });
      setLastUsed(root, old.id, Date.now() - 48 * 3600_000);

      const r = await prune(root, { filter: ['until=24h'] });
      expect(r.removedResults).toBe(1);
      expect(r.reclaimedBytes).toBeGreaterThanOrEqual(4096);

      await h.reopen({ snapshotter });
      const r2 = await build(h, bigGraph('r', 4096));
      expect(ranSteps(r2.ran)).toEqual([]);
      expect(ok(r2).id).toBe(recent.id);
      expect(ranSteps((await build(h, bigGraph('o', 4096))).ran)).toEqual(['big o']);
    });

    test('--keep-storage keeps the most recently used results that fit', async () => {
      const ids: string[] = [];
      for (const [i, tag] of ['a', 'b', 'c'].entries()) {
        ids.push(ok(await build(h, bigGraph(tag, 20_000))).id);
        void i;
      }
      await h.reopen({ snapshotter });
      // a oldest, c newest.
      setLastUsed(root, ids[0]!, Date.now() - 3 * 3600_000);
      setLastUsed(root, ids[1]!, Date.now() - 2 * 3600_000);
      setLastUsed(root, ids[2]!, Date.now() - 1 * 3600_000);

      const dry = await prune(root, { keepStorage: 45_000, dryRun: true });
      expect(dry.removedResults).toBe(1);
      expect((await usage(root)).results).toBe(3);

      const r = await prune(root, { keepStorage: 45_000 });
      expect(r.removedResults).toBe(1);
      await h.reopen({ snapshotter });
      expect(ranSteps((await build(h, bigGraph('c', 20_000))).ran)).toEqual([]);
      expect(ranSteps((await build(h, bigGraph('b', 20_000))).ran)).toEqual([]);
      expect(ranSteps((await build(h, bigGraph('a', 20_000))).ran)).toEqual(['big a']);

      await h.reopen({ snapshotter });
      const r0 = await prune(root, { keepStorage: 0 });
      expect(r0.removedResults).toBe(3);
      expect((await usage(root)).results).toBe(0);
    });

    test('refuses while a live build holds a lock, unless forced; dead builds do not count', async () => {
      await populate();
      const release = await acquireBuildLock(root);
      try {
        await expect(prune(root, { all: true })).rejects.toThrow(PruneLockedError);
        await expect(prune(root, { all: true })).rejects.toThrow(/a build is running .*--force/);
        expect((await usage(root)).records).toBeGreaterThan(0);
        const forced = await prune(root, { all: true, force: true });
        expect(forced.forcedPast.map((b) => b.pid)).toContain(process.pid);
        expect((await usage(root)).records).toBe(0);
      } finally {
        await release();
      }
      // A lock left by a process that died is ignored and cleaned up.
      await mkdir(join(root, 'locks'), { recursive: true });
      await writeFile(join(root, 'locks', 'build-999999999-dead.lock'), JSON.stringify({ pid: 999999999, since: new Date().toISOString() }));
      await expect(prune(root)).resolves.toMatchObject({ dryRun: false });
      expect(await readdir(join(root, 'locks'))).toEqual([]);
    });

    test('--all removes cache mounts and link farms; filters keep cache mounts', async () => {
      await mkdir(join(root, 'cache-mounts', 'x', 'data'), { recursive: true });
      await writeFile(join(root, 'cache-mounts', 'x', 'data', 'f'), 'cached');
      await mkdir(join(root, 'locals', 'farm'), { recursive: true });
      expect(category(await usage(root), 'cache mounts').size).toBe(6);

      await prune(root, { all: true, filter: ['until=1h'] });
      expect(await readdir(join(root, 'cache-mounts'))).toEqual(['x']);
      const r = await prune(root, { all: true });
      expect(r.removedCacheMounts).toBe(true);
      expect(category(await usage(root), 'cache mounts').count).toBe(0);
      expect(category(await usage(root), 'local contexts').count).toBe(0);
    });
  });
}
