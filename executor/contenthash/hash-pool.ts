// Large files are hashed on worker threads so several are read and hashed at once while the main
// thread keeps walking the tree; so are small files when many must be read (a cold context), in
// batches: on this kind of machine opening, reading and closing a small file costs tens of
// microseconds of system time, which the pool's threads share out. For the same reason a layer
// writer has the pool read the small files it writes (readSmall), in batches, into buffers the
// pool lends to a worker and takes back when the writer is done with the bytes: fresh memory
// costs a page fault per page. Workers start on first use and exit once the pool has been idle
// for a second.
import { Worker } from 'node:worker_threads';
import type { ReadElsewhere } from '../../oci/index.ts';
import { packBatch, readOffsets, type Batch } from './batch.ts';
import type { ReadFileResult, SmallFileResult, WorkerReply } from './hash-worker.ts';

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
  /** What the worker gets: one large file, a batch of small ones ([path, size]), or a read batch. */
  message: { path: string } | { files: Batch } | { read: Batch; buffer: ArrayBuffer };
  transfer?: ArrayBuffer[];
  settle: (reply: WorkerReply) => void;
  reject: (e: Error) => void;
}

interface ReadItem {
  path: string;
  size: number;
  resolve: (r: ReadElsewhere) => void;
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
/** Files, and bytes, read by a worker at once for readSmall. */
const READ_BATCH = 64;
const READ_BYTES = 256 * 1024;
/** Idle time after which the workers exit. */
const IDLE_MS = 1000;
/** Buffers kept for lending again. */
const KEPT_BUFFERS = 8;

export class HashPool {
  readonly #size: number;
  readonly #idle: Worker[] = [];
  readonly #all = new Set<Worker>();
  readonly #queue: Job[] = [];
  readonly #running = new Map<number, Job>();
  readonly #jobOf = new Map<Worker, number>();
  #small: SmallJob[] = [];
  #reads: ReadItem[] = [];
  #readBytes = 0;
  readonly #buffers: ArrayBuffer[] = [];
  #nextId = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #buffersMade = 0;

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

  /** The bytes of a small file (`size` when stat'ed), read in one batch with the others asked for in the same turn. */
  readSmall(path: string, size: number): Promise<ReadElsewhere> {
    return new Promise((resolve, reject) => {
      this.#reads.push({ path, size, resolve, reject });
      this.#readBytes += size + 1;
      if (this.#reads.length >= READ_BATCH || this.#readBytes >= READ_BYTES) this.#sendReads();
      else if (this.#reads.length === 1) setImmediate(() => this.#sendReads());
    });
  }

  #sendReads(): void {
    const batch = this.#reads;
    if (batch.length === 0) return;
    const bytes = this.#readBytes;
    this.#reads = [];
    this.#readBytes = 0;
    const buffer = this.#lend(bytes);
    const read = packBatch(batch);
    const at = readOffsets(read.sizes);
    const settle = (r: WorkerReply) => {
      const back = r.buffer;
      // The batch's buffer comes back when every file's bytes are done with.
      let pending = batch.length;
      const done = (): void => {
        if (--pending === 0 && back) this.#giveBack(back);
      };
      batch.forEach((f, i) => {
        const got: ReadFileResult | undefined = r.reads?.[i];
        if (got === undefined || back === undefined) f.reject(new Error(r.error ?? `${f.path} was not read`));
        else if (!Array.isArray(got)) f.reject(new Error(got.error));
        else {
          const [n, size, mtimeNs, ctimeNs, ino, mode, uid, gid] = got;
          let once = false;
          const release = (): void => {
            if (once) return;
            once = true;
            done();
          };
          f.resolve({ bytes: Buffer.from(back, at[i], n), stat: { size, mtimeNs, ctimeNs, ino, mode, uid, gid }, done: release });
        }
      });
    };
    const reject = (e: Error) => {
      for (const f of batch) f.reject(e);
    };
    this.#queue.push({ id: this.#nextId++, message: { read, buffer }, transfer: [buffer], settle, reject });
    this.#pump();
  }

  /** Buffers made for readSmall so far (the others were lent again). */
  get buffersMade(): number {
    return this.#buffersMade;
  }

  #lend(bytes: number): ArrayBuffer {
    const i = this.#buffers.findIndex((b) => b.byteLength >= bytes);
    if (i >= 0) return this.#buffers.splice(i, 1)[0]!;
    this.#buffersMade++;
    return new ArrayBuffer(Math.max(bytes, READ_BYTES + 64 * 1024));
  }

  #giveBack(buffer: ArrayBuffer): void {
    if (this.#buffers.length < KEPT_BUFFERS) this.#buffers.push(buffer);
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
    const message = { files: packBatch(batch) };
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
      worker.postMessage({ id: job.id, ...job.message }, job.transfer ?? []);
    }
    if (this.#running.size === 0 && this.#small.length === 0 && this.#reads.length === 0) {
      // Nothing to do: the idle workers are unref'd (the process may exit), and their threads
      // are freed once the pool has stayed idle a while; a layer writer's batches come with
      // short gaps between them, and a new worker costs tens of milliseconds to start.
      clearTimeout(this.#idleTimer);
      this.#idleTimer = setTimeout(() => this.#stopIdle(), IDLE_MS);
      this.#idleTimer.unref();
    }
  }

  #stopIdle(): void {
    if (this.#running.size > 0 || this.#queue.length > 0) return;
    for (const w of this.#idle.splice(0)) {
      this.#all.delete(w);
      void w.terminate();
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
