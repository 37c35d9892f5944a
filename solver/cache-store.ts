// The cache store: cache key → the id of a stored result. The store holds no result data; the
// op resolver owns that (OpResolver.loadResult). A record whose data is gone is a miss, never an
// error, so data may be pruned independently of the records that point at it.
import type { CacheKey } from './cache-key.ts';

export interface CacheRecord {
  readonly key: CacheKey;
  /** What OpResolver.loadResult(id) brings back. */
  readonly resultId: string;
  /** Epoch milliseconds of the write that set this record. */
  readonly createdAt: number;
  /**
   * Epoch milliseconds of the last lookup that found this record (or its write), when the store
   * tracks it; garbage collection prunes the least recently used first. Coarse: a store may skip
   * updating a value younger than a minute.
   */
  readonly lastUsed?: number;
}

export interface CacheStore {
  /** Batch lookup: the records among `keys`; missing keys are simply absent from the map. */
  get(keys: readonly CacheKey[]): Promise<Map<CacheKey, CacheRecord>>;
  /**
   * Writes all entries or none (one transaction). A later put of the same key replaces the
   * record: the newest result for a key wins.
   */
  put(entries: readonly { key: CacheKey; resultId: string }[]): Promise<void>;
  /** Removes records, e.g. those whose data turned out to be gone. Unknown keys are ignored. */
  delete(keys: readonly CacheKey[]): Promise<void>;
  /** Every record, for pruning, inspection and consistency checks. */
  list(): Promise<CacheRecord[]>;
  close(): void;
}
