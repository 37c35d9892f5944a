// What a build reports while it runs: the events the CLI's progress renderers draw (the solver's
// SolveEvents, a failed step's source lines), plus the frontend's warnings.
import type { SolveEvent } from '../../solver/index.ts';
import type { SourceEvent } from '../progress/index.ts';

/** A lint-style warning from the frontend (`Dockerfile:3: …`); the CLI prints it as `WARNING:`. */
export interface FrontendWarningEvent {
  readonly type: 'frontend-warning';
  readonly message: string;
}

export type BuildEvent = SolveEvent | SourceEvent | FrontendWarningEvent;

/**
 * Events as an async iterable: pushed as they happen, queued (once someone asked for them) until
 * the reader takes them, and ended with the build. One reader; a reader that stops early just
 * stops the queueing.
 */
export class EventQueue<E = BuildEvent> implements AsyncIterable<E> {
  #queue: E[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #kept = false;
  #detached = false;

  /** From now on, events are queued for the reader. */
  keep(): void {
    this.#kept = true;
  }

  get kept(): boolean {
    return this.#kept;
  }

  push(event: E): void {
    if (!this.#kept || this.#ended || this.#detached) return;
    this.#queue.push(event);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<E> {
    try {
      for (;;) {
        if (this.#queue.length > 0) {
          const batch = this.#queue;
          this.#queue = [];
          yield* batch;
          continue;
        }
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      this.#detached = true;
      this.#queue = [];
    }
  }
}
