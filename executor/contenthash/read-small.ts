// A small file read whole into a buffer used over and over (fresh memory costs a page fault per
// page on first touch, more than the read itself), hashed, with the stat of the inode that was
// read (no second path lookup). The hasher's own reads and its workers' share it, and the
// workers' reads for a layer writer (hash-pool.ts, readSmall) read the same way into lent buffers.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';

/**
 * Reads `path` whole into `into` at `at`, asking for one byte more than `size` (a file that grew
 * shows as longer; `into` needs size + 1 bytes of room), with the stat of the inode read.
 */
export function readWhole(path: string, into: Uint8Array, at: number, size: number): { got: number; after: BigIntStats } {
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    for (;;) {
      const n = readSync(fd, into, at + got, size + 1 - got, got);
      if (n === 0) break;
      got += n;
      if (got > size) break;
    }
    return { got, after: fstatSync(fd, { bigint: true }) };
  } finally {
    closeSync(fd);
  }
}

export class SmallFileReader {
  #buf = Buffer.allocUnsafe(64 * 1024);

  /** The sha256 and length of what `path` holds, read by readWhole. */
  read(path: string, size: number): { sha: string; bytes: number; after: BigIntStats } {
    if (this.#buf.length < size + 1) this.#buf = Buffer.allocUnsafe(Math.max(size + 1, this.#buf.length * 2));
    const { got, after } = readWhole(path, this.#buf, 0, size);
    return { sha: createHash('sha256').update(this.#buf.subarray(0, got)).digest('hex'), bytes: got, after };
  }
}
