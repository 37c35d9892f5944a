// What garbage collection added to the stores: last-used times in cache.db (and the migration of
// a schema-1 database), listing and deleting refs and links.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ContentStore } from '../../../oci/index.ts';
import { DiskCacheStore, parseCacheKey, type CacheKey } from '../../../solver/index.ts';
import { RefStore, newRefId, REF_RECORD_VERSION, diffIDKey, imageSnapshotKeys, mergeSnapshotKey } from '../../../executor/refs/index.ts';

const key = (n: number) => parseCacheKey(`sha256:${n.toString(16).padStart(64, '0')}`) as CacheKey;

describe('store additions', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsbuild-gc-stores-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('a lookup marks records used, coarsely (young values are not rewritten)', async () => {
    const s = new DiskCacheStore(root);
    await s.put([{ key: key(1), resultId: 'a' }]);
    const written = (await s.list())[0]!;
    expect(written.lastUsed).toBe(written.createdAt);
    const old = Date.now() - 3600_000;
    const db = new DatabaseSync(join(root, 'cache.db'));
    db.prepare('UPDATE records SET last_used = ?').run(old);
    db.close();
    expect((await s.list())[0]!.lastUsed).toBe(old);
    const hit = (await s.get([key(1)])).get(key(1))!;
    expect(hit.lastUsed).toBeGreaterThan(old);
    expect((await s.list())[0]!.lastUsed).toBe(hit.lastUsed);
    s.compact();
    expect(await s.list()).toHaveLength(1);
    s.close();
  });

  test('a schema-1 cache.db is migrated in place and keeps its records', async () => {
    const db = new DatabaseSync(join(root, 'cache.db'));
    db.exec('CREATE TABLE records (key TEXT PRIMARY KEY NOT NULL, result_id TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID');
    db.prepare('INSERT INTO records VALUES (?, ?, ?)').run(key(7), 'r7', 1000);
    db.exec('PRAGMA user_version = 1');
    db.close();
    const s = new DiskCacheStore(root);
    expect(await s.list()).toEqual([{ key: key(7), resultId: 'r7', createdAt: 1000 }]);
    await s.put([{ key: key(8), resultId: 'r8' }]);
    expect((await s.get([key(7), key(8)])).size).toBe(2);
    s.close();
  });

  test('refs: list, delete, remembered diff_ids, temp files of dead writers', async () => {
    const refs = new RefStore(root);
    const id = newRefId();
    await refs.put({ v: REF_RECORD_VERSION, id, source: { kind: 'empty' }, layers: [], created: '' });
    await refs.saveDiffID('k1', `sha256:${'1'.repeat(64)}`);
    await writeFile(join(root, 'refs', `${id}.json.tmp-999999999-abcd`), '{');
    await writeFile(join(root, 'refs', `${id}.json.tmp-${process.pid}-abcd`), '{');
    expect(await refs.list()).toEqual([id]);
    expect(await refs.recordSize(id)).toBeGreaterThan(0);
    expect(await refs.listDiffIDs()).toEqual(['k1']);
    expect(await refs.cleanTemps((pid) => pid === process.pid)).toBe(1);
    await refs.delete(id);
    await refs.deleteDiffID('k1');
    expect(await refs.list()).toEqual([]);
    expect(await refs.listDiffIDs()).toEqual([]);
    expect((await readdir(join(root, 'refs'))).filter((n) => n.includes('.tmp-'))).toHaveLength(1);
  });

  test('derived snapshot keys are deterministic', () => {
    const d = `sha256:${'a'.repeat(64)}` as const;
    expect(imageSnapshotKeys([d])).toEqual([`image-${'a'.repeat(64)}`]);
    expect(imageSnapshotKeys([d, d])[1]).toMatch(/^image-[0-9a-f]{64}$/);
    expect(mergeSnapshotKey(['x', 'y'])).toBe(mergeSnapshotKey(['x', 'y']));
    expect(mergeSnapshotKey(['x', 'y'])).not.toBe(mergeSnapshotKey(['y', 'x']));
    expect(diffIDKey({ snapshot: { id: 'a' } })).not.toBe(diffIDKey({ snapshot: { id: 'a', base: 'b' } }));
  });

  test('content links: listed with decoded names, deleted one at a time', async () => {
    const c = new ContentStore(join(root, 'content'));
    await c.setLink('layer-blob-gzip-6', 'abc', { digest: 'sha256:x' });
    await c.setLink('blob-source', 'def', ['docker.io/a/b']);
    await c.setLink('odd kind', 'a/b', 1);
    const links = (await c.listLinks()).sort((a, b) => a.kind.localeCompare(b.kind));
    expect(links).toEqual([
      { kind: 'blob-source', key: 'def' },
      { kind: 'layer-blob-gzip-6', key: 'abc' },
      { kind: 'odd kind', key: 'a/b' },
    ]);
    await c.deleteLink('odd kind', 'a/b');
    expect(await c.getLink('odd kind', 'a/b')).toBeUndefined();
    expect(await c.listLinks()).toHaveLength(2);
  });
});
