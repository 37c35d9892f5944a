// A small pool of worker threads that gzip whole buffers. Workers are started on first use and
// unreferenced while idle, so an idle pool never keeps the process alive.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

// Plain JavaScript evaluated in the worker: no module resolution, so it runs the same under Node
// and under test runners that transform imports.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const zlib = require('node:zlib');
parentPort.on('message', ({ id, data, level }) => {
  try {
    const out = zlib.gzipSync(data, { level, memLevel: 9 });
    const ab = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength
      ? out.buffer : out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
    parentPort.postMessage({ id, out: ab }, [ab]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

interface Job {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

class GzipWorker {
  readonly worker: Worker;
  readonly jobs = new Map<number, Job>();
  constructor() {
    this.worker = new Worker(workerSource, { eval: true });
    this.worker.on('message', (m: { id: number; out?: ArrayBuffer; error?: string }) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      this.jobs.delete(m.id);
      if (this.jobs.size === 0) this.worker.unref();
      if (m.out) job.resolve(Buffer.from(m.out));
      else job.reject(new Error(`gzip failed: ${m.error ?? 'unknown error'}`));
    });
    this.worker.on('error', (err: Error) => this.#failAll(err));
    this.worker.on('exit', (code) => this.#failAll(new Error(`gzip worker exited with code ${code}`)));
    // Only after the listeners: a Worker's first 'message' listener refs it again, and a worker
    // that never gets a job would then hold the process open forever.
    this.worker.unref();
  }
  #failAll(err: Error): void {
    for (const job of this.jobs.values()) job.reject(err);
    this.jobs.clear();
    pool = pool?.filter((w) => w !== this);
  }
}

let pool: GzipWorker[] | undefined;
let nextId = 0;

export function gzipPoolSize(): number {
  return Math.max(1, availableParallelism());
}

/** Gzips `data` (its ArrayBuffer is transferred: the caller must not reuse it) as one gzip member. */
export function gzipOnWorker(data: Uint8Array, level: number): Promise<Buffer> {
  pool ??= [];
  while (pool.length < gzipPoolSize()) pool.push(new GzipWorker());
  let w = pool[0]!;
  for (const c of pool) if (c.jobs.size < w.jobs.size) w = c;
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    w.jobs.set(id, { resolve, reject });
    w.worker.ref();
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    const payload = whole ? data : new Uint8Array(data);
    w.worker.postMessage({ id, data: payload, level }, [payload.buffer as ArrayBuffer]);
  });
}

/** Stops the workers (tests and benchmarks; normal use lets idle workers be). */
export async function closeGzipPool(): Promise<void> {
  const p = pool ?? [];
  pool = undefined;
  await Promise.all(p.map((w) => w.worker.terminate()));
}
