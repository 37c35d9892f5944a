// A blob is fsynced before it is published. Written whole and then fsynced, a 200 MB layer
// waits at the end for all of it to reach the disk (0.13–0.2 s here), after its writing is done.
// FlushBehind asks for what is already written to be synced, on the thread pool, each time
// another `every` bytes have been written, so the disk works while the rest is produced and the
// final fsync finds only the tail. At most one such sync is in flight; it has a descriptor of its
// own, so the writer may close its descriptor whenever it likes.
//
// A write error the disk reports is reported once, to the first sync that asks after it: an
// early sync may be that one, and a later fsync (on another descriptor) then succeeds. So the
// first error an early sync gets is kept, and done() throws it: the blob is not published.
import { closeSync, fdatasync, openSync } from 'node:fs';

const EVERY = 8 * 1024 * 1024;

export class FlushBehind {
  /** Early syncs started by every FlushBehind of this process (for tests and statistics). */
  static started = 0;

  readonly #path: string;
  readonly #every: number;
  #fd: number | undefined;
  #since = 0;
  #inflight: Promise<void> | undefined;
  #syncs = 0;
  #error: Error | undefined;
  /** No more early syncs: the file could not be opened for them. */
  #off = false;

  /** `path`: the file being written (it must exist). */
  constructor(path: string, every = EVERY) {
    this.#path = path;
    this.#every = every;
  }

  /** Syncs started so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /**
   * `n` more bytes were written. True each time another `every` bytes have gone by: a writer
   * that never leaves the event loop should give it a turn then, or the sync in flight cannot
   * report that it is done and no other starts.
   */
  wrote(n: number): boolean {
    this.#since += n;
    if (this.#since < this.#every) return false;
    this.#since = 0;
    if (this.#inflight || this.#off || this.#error) return true;
    if (this.#fd === undefined) {
      try {
        this.#fd = openSync(this.#path, 'r');
      } catch {
        // Out of descriptors, say: the final fsync alone makes the blob durable.
        this.#off = true;
        return true;
      }
    }
    const fd = this.#fd;
    this.#syncs++;
    FlushBehind.started++;
    this.#inflight = new Promise<void>((resolve) => {
      fdatasync(fd, (err) => {
        if (err && !this.#error) this.#error = err;
        this.#inflight = undefined;
        resolve();
      });
    });
    return true;
  }

  /**
   * Waits for the sync in flight and closes the descriptor; call it on every path, errors
   * included. Throws the first error an early sync got (once the descriptor is closed).
   */
  async done(): Promise<void> {
    await this.#inflight;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    if (this.#error) throw this.#error;
  }
}
