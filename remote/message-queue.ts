// Messages that arrive from a stream's events, read with `for await`: the reader waits while the
// queue is empty, and ends (or throws) once the stream has ended and everything was read.
export class MessageQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #failure: Error | undefined;

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  push(...items: T[]): void {
    this.#items.push(...items);
    this.#notify();
  }

  /** No more items; with `failure`, the reader throws it after the ones already queued. */
  end(failure?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    this.#notify();
  }

  get ended(): boolean {
    return this.#ended;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.#items.length > 0) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }
}
