// An immutable list that grows at the end in O(1): successive lists share one backing array, each
// seeing its own prefix. Appending to a list that is not the newest (the reducer was given an older
// state twice) copies that prefix first, so every list keeps reading as it was made.

export class AppendList<T> implements Iterable<T> {
  static empty<T>(): AppendList<T> {
    return new AppendList<T>([], 0);
  }

  readonly #items: T[];
  readonly length: number;

  private constructor(items: T[], length: number) {
    this.#items = items;
    this.length = length;
  }

  push(...more: T[]): AppendList<T> {
    if (more.length === 0) return this;
    const items = this.#items.length === this.length ? this.#items : this.#items.slice(0, this.length);
    items.push(...more);
    return new AppendList(items, this.length + more.length);
  }

  slice(start = 0, end = this.length): T[] {
    return this.#items.slice(Math.max(0, start), Math.min(end, this.length));
  }

  map<U>(fn: (item: T, index: number) => U): U[] {
    const out: U[] = new Array<U>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = fn(this.#items[i]!, i);
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.#items[i]!;
  }

  /** A plain array (what JSON and test assertions see). */
  toJSON(): T[] {
    return this.slice();
  }
}
