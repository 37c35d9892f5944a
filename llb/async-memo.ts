// Memoised async work, with one rule for every memo in tsbuild: callers that ask while the work
// runs share its promise, a result is kept, and a failure is forgotten as soon as it settles, so
// the next call tries again. In a long-lived process (watch mode, a daemon) a failure must not
// outlive its cause: a file fixed, a registry back, a runtime installed.
//
// No I/O here, so every layer can use it (llb is the one folder all others may import).

export interface AsyncMemoOptions<V> {
  /**
   * Whether a result is worth keeping. Default: every result. `() => false` only shares the
   * work in flight; a predicate can drop answers that may change, such as "not there (yet)".
   */
  readonly keep?: (value: V) => boolean;
}

export class AsyncMemo<K, V> {
  readonly #entries = new Map<K, Promise<V>>();
  readonly #keep: (value: V) => boolean;

  constructor(options: AsyncMemoOptions<V> = {}) {
    this.#keep = options.keep ?? (() => true);
  }

  /** The result for `key`: the kept or in-flight one, else `make(key)`'s, started now. */
  get(key: K, make: (key: K) => Promise<V>): Promise<V> {
    const known = this.#entries.get(key);
    if (known) return known;
    let p: Promise<V>;
    try {
      p = make(key);
    } catch (e) {
      p = Promise.reject(e);
    }
    this.#entries.set(key, p);
    p.then(
      (v) => {
        if (!this.#keep(v)) this.#forget(key, p);
      },
      () => this.#forget(key, p),
    );
    return p;
  }

  /** The kept or in-flight result for `key`, without starting anything. */
  peek(key: K): Promise<V> | undefined {
    return this.#entries.get(key);
  }

  /** Records a result learnt another way (e.g. made while doing something else). */
  set(key: K, value: V): void {
    this.#entries.set(key, Promise.resolve(value));
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  // Only the promise that settled is dropped: a newer entry (set, or a retry) stays.
  #forget(key: K, p: Promise<V>): void {
    if (this.#entries.get(key) === p) this.#entries.delete(key);
  }
}

/** `make` memoised under the same rule: shared while in flight, kept once done, retried after a failure. */
export function asyncOnce<V>(make: () => Promise<V>): () => Promise<V> {
  const memo = new AsyncMemo<undefined, V>();
  return () => memo.get(undefined, make);
}
