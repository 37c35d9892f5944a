// Coalesces the cache lookups that vertices make in the same turn of the event loop into one
// store read: when a missed vertex asks for all its inputs at once, they probe together.
import type { CacheKey } from './cache-key.ts';
import type { CacheRecord, CacheStore } from './cache-store.ts';

interface Waiter {
  keys: readonly CacheKey[];
  resolve(found: Map<CacheKey, CacheRecord>): void;
  reject(err: unknown): void;
}

export class LookupBatcher {
  readonly #store: CacheStore;
  #waiting: Waiter[] = [];

  constructor(store: CacheStore) {
    this.#store = store;
  }

  get(keys: readonly CacheKey[]): Promise<Map<CacheKey, CacheRecord>> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) queueMicrotask(() => this.#flush());
      this.#waiting.push({ keys, resolve, reject });
    });
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    const all = new Set<CacheKey>();
    for (const w of batch) for (const k of w.keys) all.add(k);
    this.#store.get([...all]).then(
      (found) => {
        for (const w of batch) w.resolve(found);
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
