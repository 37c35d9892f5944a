// Large files are hashed on worker threads so several are read and hashed at once while the main
// thread keeps walking the tree. Workers start on first use and exit when the pool is idle.
import { Worker } from 'node:worker_threads';

// Next to this module: the source (.ts) in a checkout, the prebuilt CLI's entry (.js) in dist/, or
// the compiled module (.js) in the npm package's lib/.
const workerURL = new URL(import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js', import.meta.url);

interface Job {
  id: number;
  path: string;
  resolve: (r: { sha: string; bytes: number }) => void;
  reject: (e: Error) => void;
}

export class HashPool {
  readonly #size: number;
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();
  readonly #queue: Job[] = [];
  readonly #running = new Map<number, Job>();
  readonly #jobOf = new Map<Worker, number>();
  #nextId = 0;

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  hash(path: string): Promise<{ sha: string; bytes: number }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, path, resolve, reject });
      this.#pump();
    });
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
      worker.postMessage({ id: job.id, path: job.path });
    }
    if (this.#running.size === 0) {
      // Nothing to do: let the process exit, and free the threads.
      for (const w of this.#idle.splice(0)) void w.terminate();
      this.#all.clear();
    }
  }

  #spawn(): Worker {
    const worker = new Worker(workerURL);
    this.#all.add(worker);
    worker.on('message', (msg: { id: number; sha?: string; bytes?: number; error?: string }) => {
      const job = this.#running.get(msg.id);
      this.#running.delete(msg.id);
      this.#jobOf.delete(worker);
      worker.unref();
      this.#idle.push(worker);
      if (job) {
        if (msg.error !== undefined) job.reject(new Error(msg.error));
        else job.resolve({ sha: msg.sha!, bytes: msg.bytes! });
      }
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
