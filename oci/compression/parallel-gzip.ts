// Parallel gzip. The input is cut into fixed-size chunks, each gzipped as a complete member on a
// worker thread, and the members are written in order. A gzip file may hold several members back to
// back (RFC 1952 §2.2); gunzip, `gzip -t`, Go's gzip reader (so Docker and containerd) and Node's
// zlib read them as one stream. Fixed chunk boundaries and a zero mtime in every member header make
// the output a pure function of input and level, so equal layers give equal blobs.
import { Transform, type TransformCallback } from 'node:stream';
import { gzipOnWorker, gzipPoolSize } from './gzip-pool.ts';

export const DEFAULT_GZIP_CHUNK = 1 << 20;

export interface ParallelGzipOptions {
  level?: number;
  /** Bytes of input per gzip member (default 1 MiB). */
  chunkSize?: number;
}

export function createParallelGzip(opts: ParallelGzipOptions = {}): Transform {
  return new ParallelGzip(opts.level ?? 6, opts.chunkSize ?? DEFAULT_GZIP_CHUNK);
}

class ParallelGzip extends Transform {
  readonly #level: number;
  readonly #chunkSize: number;
  readonly #maxInFlight: number;
  #buf: Uint8Array;
  #filled = 0;
  #submitted = 0;
  readonly #queue: Promise<Buffer>[] = [];

  constructor(level: number, chunkSize: number) {
    super();
    this.#level = level;
    this.#chunkSize = chunkSize;
    this.#maxInFlight = gzipPoolSize() * 2;
    this.#buf = new Uint8Array(chunkSize);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let off = 0;
    while (off < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - off, this.#chunkSize - this.#filled);
      this.#buf.set(chunk.subarray(off, off + n), this.#filled);
      this.#filled += n;
      off += n;
      if (this.#filled === this.#chunkSize) this.#submit();
    }
    this.#drain(this.#maxInFlight).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    // An empty input still yields one (empty) member: a zero-byte file is not valid gzip.
    if (this.#filled > 0 || this.#submitted === 0) this.#submit();
    this.#drain(0).then(() => cb(), cb);
  }

  #submit(): void {
    const data = this.#filled === this.#chunkSize ? this.#buf : this.#buf.slice(0, this.#filled);
    const p = gzipOnWorker(data, this.#level);
    p.catch(() => {}); // surfaced in order by #drain; avoids an unhandled rejection meanwhile
    this.#queue.push(p);
    this.#submitted++;
    this.#buf = new Uint8Array(this.#chunkSize);
    this.#filled = 0;
  }

  async #drain(keep: number): Promise<void> {
    while (this.#queue.length > keep) this.push(await this.#queue.shift()!);
  }
}
