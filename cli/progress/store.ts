// The bridge between the event stream and a live view: applies every event to the reducer at
// once, but publishes snapshots at most `maxFps` times a second (a build can log thousands of
// lines a second; a terminal redraw per line would cost more than the build). Views subscribe
// with useSyncExternalStore and only ever see published snapshots. Time and timers are
// injected, so tests step through frames without sleeping.
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { reduceProgress } from './reducer.ts';
import type { ProgressEvent, ProgressState } from './state.ts';
import { initialProgressState } from './state.ts';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => {
    const t = setTimeout(callback, ms);
    // A pending redraw must not keep the process alive after the build.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ProgressStoreOptions {
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Upper bound on published snapshots per second. Default 15. */
  readonly maxFps?: number;
  /** While the build runs, advance live timers this often (ms); 0 turns it off. Default 100. */
  readonly tickMs?: number;
  readonly logTailSize?: number;
}

export class ProgressStore {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #interval: number;
  readonly #tickMs: number;
  readonly #listeners = new Set<() => void>();
  #state: ProgressState;
  #published: ProgressState;
  #lastPublish = Number.NEGATIVE_INFINITY;
  #pending: unknown;
  #ticker: unknown;
  /** How many snapshots were published: lets tests check the throttle. */
  publishCount = 0;

  constructor(options: ProgressStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#interval = 1000 / (options.maxFps ?? 15);
    this.#tickMs = options.tickMs ?? 100;
    this.#state = initialProgressState({ now: this.#clock(), logTailSize: options.logTailSize });
    this.#published = this.#state;
  }

  dispatch(event: ProgressEvent): void {
    this.#state = reduceProgress(this.#state, event, this.#clock());
    if (event.type === 'done') {
      this.#stopTicking();
      this.flush();
      return;
    }
    if (this.#tickMs > 0 && this.#ticker === undefined) this.#tick();
    this.#schedule();
  }

  /** The latest published snapshot (what a view should show). */
  readonly getSnapshot = (): ProgressState => this.#published;

  /** The state with every event applied, published or not. */
  get current(): ProgressState {
    return this.#state;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Publishes now, whatever the throttle says (the final frame must not wait). */
  flush(): void {
    if (this.#pending !== undefined) {
      this.#timers.clearTimeout(this.#pending);
      this.#pending = undefined;
    }
    this.#publish();
  }

  /** Stops timers; the store stays readable. */
  close(): void {
    this.#stopTicking();
    if (this.#pending !== undefined) this.#timers.clearTimeout(this.#pending);
    this.#pending = undefined;
  }

  #schedule(): void {
    if (this.#pending !== undefined) return;
    const wait = this.#lastPublish + this.#interval - this.#clock();
    if (wait <= 0) {
      this.#publish();
      return;
    }
    this.#pending = this.#timers.setTimeout(() => {
      this.#pending = undefined;
      this.#publish();
    }, wait);
  }

  #publish(): void {
    if (this.#published === this.#state) return;
    this.#published = this.#state;
    this.#lastPublish = this.#clock();
    this.publishCount++;
    for (const listener of this.#listeners) listener();
  }

  #tick(): void {
    this.#ticker = this.#timers.setTimeout(() => {
      this.#ticker = undefined;
      if (this.#state.done) return;
      this.dispatch({ type: 'tick' });
    }, this.#tickMs);
  }

  #stopTicking(): void {
    if (this.#ticker !== undefined) this.#timers.clearTimeout(this.#ticker);
    this.#ticker = undefined;
  }
}
