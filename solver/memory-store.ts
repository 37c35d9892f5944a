// An in-process cache store: for tests, and for builds that must not touch the disk.
import type { CacheKey } from './cache-key.ts';
import type { CacheRecord, CacheStore } from './cache-store.ts';

export class MemoryCacheStore implements CacheStore {
  readonly #records: Map<CacheKey, CacheRecord>;
  #closed = false;

  /** Stores made from the same `shared` map see each other's writes, like two processes on one disk store. */
  constructor(shared?: Map<CacheKey, CacheRecord>) {
    this.#records = shared ?? new Map<CacheKey, CacheRecord>();
  }

  /** The backing map, to open a second handle on the same data. */
  get records(): Map<CacheKey, CacheRecord> {
    return this.#records;
  }

  async get(keys: readonly CacheKey[]): Promise<Map<CacheKey, CacheRecord>> {
    this.#check();
    const found = new Map<CacheKey, CacheRecord>();
    for (const key of keys) {
      const rec = this.#records.get(key);
      if (rec) found.set(key, rec);
    }
    return found;
  }

  async put(entries: readonly { key: CacheKey; resultId: string }[]): Promise<void> {
    this.#check();
    const createdAt = Date.now();
    for (const { key, resultId } of entries) this.#records.set(key, { key, resultId, createdAt });
  }

  async delete(keys: readonly CacheKey[]): Promise<void> {
    this.#check();
    for (const key of keys) this.#records.delete(key);
  }

  async list(): Promise<CacheRecord[]> {
    this.#check();
    return [...this.#records.values()];
  }

  close(): void {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw new Error('cache store used after close()');
  }
}
