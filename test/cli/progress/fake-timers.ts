// A hand-driven clock and timer queue: tests move time forward explicitly instead of sleeping.
import type { Timers } from '../../../cli/progress/index.ts';

export class FakeTime implements Timers {
  now: number;
  #queue: { at: number; id: number; cb: () => void }[] = [];
  #next = 1;

  constructor(start: number) {
    this.now = start;
  }

  readonly clock = () => this.now;

  setTimeout(cb: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#queue.push({ at: this.now + ms, id, cb });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#queue = this.#queue.filter((t) => t.id !== handle);
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Moves time forward, firing due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.#queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.#queue[0];
      if (t === undefined || t.at > end) break;
      this.#queue.shift();
      this.now = t.at;
      t.cb();
    }
    this.now = end;
  }
}
