// Worker side of hash-pool.ts: the sha256 of one large file, read in fixed-size chunks (never
// the whole file at once), or of each of a batch of small files (read-small.ts), or the bytes of
// a batch of small files read into a buffer the pool lends (and gets back with the reply).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { readOffsets, unpackBatch, type Batch } from './batch.ts';
import { readWhole, SmallFileReader } from './read-small.ts';

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);

/** Per small file: its hash, length and the stat of the inode read, or why it could not be read. */
export type SmallFileResult = [sha: string, bytes: number, size: bigint, mtimeNs: bigint, ctimeNs: bigint, ino: bigint] | { error: string };

/**
 * Per file of a read batch: how many bytes it held (one more than asked: it grew) and the stat of
 * the inode read, or why it could not be read.
 */
export type ReadFileResult =
  [got: number, size: bigint, mtimeNs: bigint, ctimeNs: bigint, ino: bigint, mode: bigint, uid: bigint, gid: bigint] | { error: string };

/** What a worker posts back for job `id`: a large file's hash, a batch's results, or an error. */
export interface WorkerReply {
  id: number;
  sha?: string;
  bytes?: number;
  files?: SmallFileResult[];
  /** A read batch's results, and the lent buffer holding the bytes (file i at the offset the pool gave it). */
  reads?: ReadFileResult[];
  buffer?: ArrayBuffer;
  error?: string;
}

/** A read batch: file i's bytes go into `buffer` after those of the files before it, with size + 1 bytes of room each. */
export interface ReadJob {
  id: number;
  read: Batch;
  buffer: ArrayBuffer;
}

function large(path: string): { sha: string; bytes: number } {
  const fd = openSync(path, 'r');
  try {
    const h = createHash('sha256');
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      h.update(buffer.subarray(0, n));
      bytes += n;
    }
    return { sha: h.digest('hex'), bytes };
  } finally {
    closeSync(fd);
  }
}

const reader = new SmallFileReader();

function small(path: string, size: number): SmallFileResult {
  try {
    const { sha, bytes, after } = reader.read(path, size);
    return [sha, bytes, after.size, after.mtimeNs, after.ctimeNs, after.ino];
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function readInto(out: Uint8Array, path: string, size: number, at: number): ReadFileResult {
  try {
    const { got, after: st } = readWhole(path, out, at, size);
    return [got, st.size, st.mtimeNs, st.ctimeNs, st.ino, st.mode, st.uid, st.gid];
  } catch (e) {
    return { error: (e as Error).message };
  }
}

parentPort!.on('message', (job: { id: number; path?: string; files?: Batch } | ReadJob) => {
  let reply: WorkerReply;
  if ('read' in job) {
    const out = new Uint8Array(job.buffer);
    const at = readOffsets(job.read.sizes);
    const reads = unpackBatch(job.read).map(([p, size], i) => readInto(out, p, size, at[i]!));
    parentPort!.postMessage({ id: job.id, reads, buffer: job.buffer } satisfies WorkerReply, [job.buffer]);
    return;
  }
  if (job.files) reply = { id: job.id, files: unpackBatch(job.files).map(([p, size]) => small(p, size)) };
  else {
    try {
      reply = { id: job.id, ...large(job.path!) };
    } catch (e) {
      reply = { id: job.id, error: (e as Error).message };
    }
  }
  parentPort!.postMessage(reply);
});
