// Large files are hashed on worker threads so several are read and hashed at once while the main
// thread keeps walking the tree; so are small files when many must be read (a cold context), in
// batches: on this kind of machine opening, reading and closing a small file costs tens of
// microseconds of system time, which the pool's threads share out. Workers start on first use and
// exit when the pool is idle.
import { Worker } from 'node:worker_threads';
import type { SmallFileResult, WorkerReply } from './hash-worker.ts';

// Next to this module: the source (.ts) in a checkout, the prebuilt CLI's entry (.js) in dist/, or
// the compiled module (.js) in the npm package's lib/.
const workerURL = new URL(import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js', import.meta.url);

/** A small file's sha256 and length as read, with the stat of the inode read (the fields a change shows in). */
export interface SmallHash {
  sha: string;
  bytes: number;
  after: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint };
}

interface Job {
  id: number;
  /** What the worker gets: one large file, or a batch of small ones ([path, size]). */
  message: { path: string } | { files: [string, number][] };
  settle: (reply: WorkerReply) => void;
  reject: (e: Error) => void;
}

interface SmallJob {
  path: string;
  size: number;
  resolve: (r: SmallHash) => void;
  reject: (e: Error) => void;
}

/** Small files sent to a worker at once. */
const BATCH = 128;

export class HashPool {
  readonly #size: number;
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();
  readonly #queue: Job[] = [];
  readonly #running = new Map<number, Job>();
  readonly #jobOf = new Map<Worker, number>();
  #small: SmallJob[] = [];
  #nextId = 0;

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  hash(path: string): Promise<{ sha: string; bytes: number }> {
    return new Promise((resolve, reject) => {
      const settle = (r: WorkerReply) => (r.error !== undefined ? reject(new Error(r.error)) : resolve({ sha: r.sha!, bytes: r.bytes! }));
      this.#queue.push({ id: this.#nextId++, message: { path }, settle, reject });
      this.#pump();
    });
  }

  /** A small file (`size` bytes when stat'ed), hashed in one batch with the others asked for in the same turn. */
  hashSmall(path: string, size: number): Promise<SmallHash> {
    return new Promise((resolve, reject) => {
      this.#small.push({ path, size, resolve, reject });
      if (this.#small.length >= BATCH) this.#sendSmall();
      else if (this.#small.length === 1) setImmediate(() => this.#sendSmall());
    });
  }

  #sendSmall(): void {
    const batch = this.#small;
    if (batch.length === 0) return;
    this.#small = [];
    const settle = (r: WorkerReply) =>
      batch.forEach((f, i) => {
        const got: SmallFileResult | undefined = r.files?.[i];
        if (got === undefined) f.reject(new Error(r.error ?? `no hash for ${f.path}`));
        else if (!Array.isArray(got)) f.reject(new Error(got.error));
        else f.resolve({ sha: got[0], bytes: got[1], after: { size: got[2], mtimeNs: got[3], ctimeNs: got[4], ino: got[5] } });
      });
    const reject = (e: Error) => {
      for (const f of batch) f.reject(e);
    };
    const message = { files: batch.map((f): [string, number] => [f.path, f.size]) };
    this.#queue.push({ id: this.#nextId++, message, settle, reject });
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let worker = this.#idle.pop();
      if (!worker && this.#all.size < this.#size) worker = this.#spawn();
      if (!worker) return;
      const job = this.#queue.shift()!;
      this.#running.set(job.id, job);
      this.#jobOf.set(worker, job.id);
      worker.ref();
      worker.postMessage({ id: job.id, ...job.message });
    }
    if (this.#running.size === 0 && this.#small.length === 0) {
      // Nothing to do: let the process exit, and free the threads.
      for (const w of this.#idle.splice(0)) void w.terminate();
      this.#all.clear();
    }
  }

  #spawn(): Worker {
    const worker = new Worker(workerURL);
    this.#all.add(worker);
    worker.on('message', (msg: WorkerReply) => {
      const job = this.#running.get(msg.id);
      this.#running.delete(msg.id);
      this.#jobOf.delete(worker);
      worker.unref();
      this.#idle.push(worker);
      job?.settle(msg);
      this.#pump();
    });
    worker.on('error', (e: Error) => {
      this.#all.delete(worker);
      const id = this.#jobOf.get(worker);
      this.#jobOf.delete(worker);
      const job = id === undefined ? undefined : this.#running.get(id);
      if (id !== undefined) this.#running.delete(id);
      job?.reject(e);
      this.#pump();
    });
    return worker;
  }
}
