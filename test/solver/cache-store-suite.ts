// The conformance suite every CacheStore implementation must pass. `open()` returns a handle on
// one store; calling it twice gives two handles on the same data (two processes sharing a root).
import { afterEach, describe, expect, it } from 'vitest';
import { definitionKey, type CacheKey, type CacheStore } from '../../solver/index.ts';
import { sha } from './fakes.ts';

export interface StoreFixture {
  open(): CacheStore;
  /** Called after each test; removes whatever open() created. */
  cleanup(): void;
}

function key(n: number): CacheKey {
  return definitionKey(sha(`op-${n}`), 0, []);
}

export function cacheStoreConformance(name: string, makeFixture: () => StoreFixture): void {
  describe(`${name}: CacheStore conformance`, () => {
    let fixture: StoreFixture | undefined;
    const handles: CacheStore[] = [];
    const open = (): CacheStore => {
      fixture ??= makeFixture();
      const s = fixture.open();
      handles.push(s);
      return s;
    };
    afterEach(() => {
      for (const h of handles.splice(0)) h.close();
      fixture?.cleanup();
      fixture = undefined;
    });

    it('misses on an empty store', async () => {
      const s = open();
      expect((await s.get([key(1)])).size).toBe(0);
      expect(await s.list()).toEqual([]);
    });

    it('returns what was put, by key, in batches', async () => {
      const s = open();
      const before = Date.now();
      await s.put([
        { key: key(1), resultId: 'r1' },
        { key: key(2), resultId: 'r2' },
      ]);
      const found = await s.get([key(1), key(2), key(3)]);
      expect(found.size).toBe(2);
      expect(found.get(key(1))?.resultId).toBe('r1');
      expect(found.get(key(2))?.key).toBe(key(2));
      expect(found.get(key(2))?.createdAt).toBeGreaterThanOrEqual(before);
      expect(found.has(key(3))).toBe(false);
    });

    it('answers a batch of thousands of keys, duplicates included', async () => {
      const s = open();
      const entries = Array.from({ length: 3000 }, (_, i) => ({ key: key(i), resultId: `r${i}` }));
      await s.put(entries);
      const asked = [...entries.map((e) => e.key), key(5), key(99999)];
      const found = await s.get(asked);
      expect(found.size).toBe(3000);
      expect(found.get(key(2999))?.resultId).toBe('r2999');
    });

    it('lets the newest put for a key win', async () => {
      const s = open();
      await s.put([{ key: key(1), resultId: 'old' }]);
      await s.put([{ key: key(1), resultId: 'new' }]);
      expect((await s.get([key(1)])).get(key(1))?.resultId).toBe('new');
      expect(await s.list()).toHaveLength(1);
    });

    it('deletes records and ignores unknown keys', async () => {
      const s = open();
      await s.put([
        { key: key(1), resultId: 'r1' },
        { key: key(2), resultId: 'r2' },
      ]);
      await s.delete([key(1), key(77)]);
      expect((await s.list()).map((r) => r.resultId)).toEqual(['r2']);
    });

    it("lets two handles on one store see each other's writes", async () => {
      const a = open();
      const b = open();
      await a.put([{ key: key(1), resultId: 'from-a' }]);
      await b.put([{ key: key(2), resultId: 'from-b' }]);
      expect((await b.get([key(1)])).get(key(1))?.resultId).toBe('from-a');
      expect((await a.get([key(2)])).get(key(2))?.resultId).toBe('from-b');
      await b.put([{ key: key(1), resultId: 'b-wins' }]);
      expect((await a.get([key(1)])).get(key(1))?.resultId).toBe('b-wins');
    });

    it('accepts empty batches', async () => {
      const s = open();
      await s.put([]);
      await s.delete([]);
      expect((await s.get([])).size).toBe(0);
    });
  });
}
