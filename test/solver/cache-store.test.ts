import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { CacheStoreError, definitionKey, DiskCacheStore, MemoryCacheStore, type CacheKey, type CacheRecord } from '../../solver/index.ts';
import { cacheStoreConformance } from './cache-store-suite.ts';
import { sha } from './fakes.ts';

cacheStoreConformance('MemoryCacheStore', () => {
  const shared = new Map<CacheKey, CacheRecord>();
  return { open: () => new MemoryCacheStore(shared), cleanup: () => {} };
});

cacheStoreConformance('DiskCacheStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'tsbuild-store-'));
  return { open: () => new DiskCacheStore(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
});

describe('DiskCacheStore', () => {
  it('persists across reopening, in WAL mode', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tsbuild-store-'));
    try {
      const k = definitionKey(sha('x'), 0, []);
      const a = new DiskCacheStore(root);
      await a.put([{ key: k, resultId: 'r' }]);
      a.close();
      const b = new DiskCacheStore(root);
      expect((await b.get([k])).get(k)?.resultId).toBe('r');
      b.close();
      const db = new DatabaseSync(join(root, 'cache.db'));
      expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
      db.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a database from a newer schema with a clear message', () => {
    const root = mkdtempSync(join(tmpdir(), 'tsbuild-store-'));
    try {
      const db = new DatabaseSync(join(root, 'cache.db'));
      db.exec('PRAGMA user_version = 99');
      db.close();
      expect(() => new DiskCacheStore(root)).toThrow(CacheStoreError);
      expect(() => new DiskCacheStore(root)).toThrow(/written by a newer tsbuild .* upgrade tsbuild or use another TSBUILD_ROOT/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is shared by two processes writing at the same time', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tsbuild-store-'));
    try {
      const storeUrl = new URL('../../solver/disk-store.ts', import.meta.url).href;
      const keyUrl = new URL('../../solver/cache-key.ts', import.meta.url).href;
      // Both children open the new database at the same instant: the opening steps race too.
      const openAt = Date.now() + 1500;
      const script = (tag: string) => `
        const { DiskCacheStore } = await import(${JSON.stringify(storeUrl)});
        const { definitionKey } = await import(${JSON.stringify(keyUrl)});
        const { createHash } = await import('node:crypto');
        await new Promise((r) => setTimeout(r, ${openAt} - Date.now()));
        const s = new DiskCacheStore(${JSON.stringify(root)});
        for (let i = 0; i < 300; i++) {
          const op = 'sha256:' + createHash('sha256').update('${tag}' + i).digest('hex');
          await s.put([{ key: definitionKey(op, 0, []), resultId: '${tag}' + i }]);
        }
        s.close();`;
      // A child's stderr is part of the result, so a failure says why the child failed.
      const runChild = (tag: string) =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script(tag)], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('close', (code) => resolve(`exit ${code ?? -1}${stderr ? `: ${stderr}` : ''}`));
        });
      expect(await Promise.all([runChild('a'), runChild('b')])).toEqual(['exit 0', 'exit 0']);
      const s = new DiskCacheStore(root);
      const ids = (await s.list()).map((r) => r.resultId);
      s.close();
      expect(ids).toHaveLength(600);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
