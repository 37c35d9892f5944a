// Layer tar writer: turns a change list into an OCI layer tar stream. File contents are read
// in bounded chunks while the stream is consumed; a few entries are prepared ahead so that
// the stat/read syscalls of small files overlap.
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, type Change } from './changes.ts';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, type TarHeader, type TarType } from './tar-format.ts';
import { devMajor, devMinor } from './special-files.ts';
import { isOverlayInternal, readXattrs, type Xattrs } from './xattrs.ts';

export interface WriteLayerOptions {
  /**
   * Clamp every mtime to at most this many seconds since the epoch (SOURCE_DATE_EPOCH with
   * rewrite-timestamp): files newer than the epoch get the epoch, older ones keep theirs.
   */
  clampMtime?: number;
  /**
   * Where extended attributes come from: `'changes'` (default) uses `xattrs` on each change and
   * reads nothing; `'read'` reads each entry's attributes from disk (one process per entry; use
   * for short lists only); `'none'` writes no attributes.
   */
  xattrs?: 'changes' | 'read' | 'none';
  /** Told where each regular file's entry (headers to padding) lies in the tar, in bytes. */
  onFileEntry?: (path: string, offset: number, length: number) => void;
  /** Told of each member written: its name, type and content size (a listing without a parse). */
  onMember?: (name: string, type: TarType, size: number) => void;
  /**
   * The consumer is done with each chunk before it asks for the next (it hashes and writes it
   * synchronously): chunks are then views of a few buffers used over and over. Fresh memory
   * costs a page fault per page on first touch, which on a VM costs more than the read itself.
   */
  reuseBuffers?: boolean;
  /**
   * With reuseBuffers: reads a small file (under 64 KiB) elsewhere, a worker thread, in batches
   * with the others asked for at the time: for a layer of thousands of files, whose opens,
   * reads and closes would otherwise take the writing thread's time one by one. The stat it
   * returns is the one of the inode read, checked against a change's `verify`.
   */
  readFile?: (path: string, size: number) => Promise<ReadElsewhere>;
}

/** The fields that tell whether a file is still the one a stat described. */
export interface FileIdentity {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  mode: bigint;
  uid: bigint;
  gid: bigint;
}

/** A file's bytes read by WriteLayerOptions.readFile. */
export interface ReadElsewhere {
  /** What the file held when read (its size then may differ from the size asked). */
  bytes: Buffer;
  stat: FileIdentity;
  /** Called once the bytes are written out: their buffer may be used again. */
  done(this: void): void;
}

export class LayerWriteError extends Error {
  override name = 'LayerWriteError';
}

const SMALL_FILE = 256 * 1024;
const CHUNK = 1024 * 1024;
const LOOKAHEAD = 32;
/** With readFile: enough changes ahead for batches of files to be read while earlier ones are written. */
const READ_LOOKAHEAD = 160;
const BATCH = 512 * 1024;
const DIRECT = 64 * 1024;
/** Padding to a 512-byte block, copied from here. */
const ZEROS = Buffer.alloc(512);

interface Prepared {
  change: Change;
  header?: TarHeader;
  stat?: BigIntStats;
  /** Whole content for small files, read ahead. */
  content?: Buffer;
  /** With content read by readFile: to call once it is written out. */
  release?: () => void;
}

function typeOf(st: BigIntStats): TarType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets are not representable in a layer
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
}

function join2(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function markerHeader(name: string, mtime: number): TarHeader {
  return { name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

async function prepare(change: Change, opts: WriteLayerOptions): Promise<Prepared> {
  if (change.kind !== 'entry') return { change };
  const st = change.stat ?? (await lstat(change.source, { bigint: true }));
  const type = typeOf(st);
  if (type === undefined) return { change };
  const w = change.written;
  let mtime = w ? w.mtime : Number(st.mtimeNs / 1_000_000_000n);
  if (opts.clampMtime !== undefined && mtime > opts.clampMtime) mtime = opts.clampMtime;
  const xattrs: Xattrs = new Map();
  const mode = opts.xattrs ?? 'changes';
  const raw = mode === 'changes' ? change.xattrs : mode === 'read' ? await readXattrs(change.source) : undefined;
  if (raw) for (const [k, v] of raw) if (!isOverlayInternal(k)) xattrs.set(k, v);
  const header: TarHeader = {
    name: change.path,
    type,
    mode: w ? w.mode : Number(st.mode & 0o7777n),
    uid: w ? w.uid : Number(st.uid),
    gid: w ? w.gid : Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtime,
    linkname: type === 'symlink' ? await readlink(change.source) : '',
    devmajor: type === 'char' || type === 'block' ? devMajor(st.rdev) : 0,
    devminor: type === 'char' || type === 'block' ? devMinor(st.rdev) : 0,
    xattrs,
  };
  if (opts.readFile && opts.reuseBuffers && type === 'file' && header.size > 0 && header.size < DIRECT) {
    const r = await opts.readFile(change.source, header.size);
    const changed = change.verify !== undefined && !sameFile(r.stat, change.verify);
    const read = r.bytes.length;
    if (changed || read !== header.size) {
      r.done();
      if (changed) throw changedError(change.path);
      throw new LayerWriteError(`${change.path} changed size while the layer was written (expected ${header.size} bytes, read ${read})`);
    }
    return { change, header, stat: st, content: r.bytes, release: () => r.done() };
  }
  let content: Buffer | undefined;
  if (!opts.reuseBuffers && type === 'file' && header.size <= SMALL_FILE && st.nlink === 1n) {
    content = readSmall(change.source, header.size, change.path, change.verify);
  }
  return { change, header, stat: st, content };
}

// Small files are read synchronously: from the page cache that takes microseconds, less than
// the three thread-pool round trips of open/read/close.
function readSmall(path: string, size: number, name: string, verify?: BigIntStats): Buffer {
  const buf = Buffer.allocUnsafe(size);
  readInto(path, buf, 0, size, name, verify);
  return buf;
}

/** Whether `now` is the file `was` described (same inode, size, times, mode, owner). */
function sameFile(now: FileIdentity, was: FileIdentity): boolean {
  return (
    now.ino === was.ino &&
    now.size === was.size &&
    now.mtimeNs === was.mtimeNs &&
    now.ctimeNs === was.ctimeNs &&
    now.mode === was.mode &&
    now.uid === was.uid &&
    now.gid === was.gid
  );
}

function changedError(name: string): LayerWriteError {
  return new LayerWriteError(`${name} changed after its checksum was taken, while the layer was written: build again`);
}

/** Fails unless the open file is still the one `verify` describes. */
function checkOpen(fd: number, verify: BigIntStats | undefined, name: string): void {
  if (verify && !sameFile(fstatSync(fd, { bigint: true }), verify)) throw changedError(name);
}

/** The whole of a file of `size` bytes, read into `into` at `at`; another size is an error. */
function readInto(path: string, into: Buffer, at: number, size: number, name: string, verify?: BigIntStats): void {
  const fd = openSync(path, 'r');
  try {
    checkOpen(fd, verify, name);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, into, at + got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== size) {
      throw new LayerWriteError(`${name} changed size while the layer was written (expected ${size} bytes, read ${got})`);
    }
  } finally {
    closeSync(fd);
  }
}

// Large files and runs of an earlier tar: `length` bytes of `file` from `offset`, in bounded
// chunks read synchronously (one chunk blocks the loop for well under a millisecond from the
// page cache), handed to the consumer one at a time. `short` says what a file ending early means.
function* streamRange(
  file: string,
  offset: number,
  length: number,
  scratch: Buffer | undefined,
  short: (read: number) => string,
  verify?: { stat: BigIntStats; name: string },
): Generator<Buffer> {
  const fd = openSync(file, 'r');
  try {
    checkOpen(fd, verify?.stat, verify?.name ?? file);
    let done = 0;
    while (done < length) {
      const want = Math.min(CHUNK, length - done);
      const buf = scratch ?? Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, offset + done);
      if (n === 0) throw new LayerWriteError(short(done));
      done += n;
      // Checked again before the last chunk goes out: a write while the file was read.
      if (done >= length) checkOpen(fd, verify?.stat, verify?.name ?? file);
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

async function* lookahead<T, U>(src: AsyncIterable<T> | Iterable<T>, depth: number, fn: (t: T) => Promise<U>): AsyncGenerator<U> {
  const queue: Promise<U>[] = [];
  for await (const item of src) {
    const p = fn(item);
    p.catch(() => {}); // surfaced when awaited in order
    queue.push(p);
    if (queue.length >= depth) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

/**
 * Writes the layer tar for `changes` (which must already be in tree order, see sortChanges).
 * A regular file whose inode was already written becomes a hardlink entry to the first path,
 * unless its change carries `written` (a copy's file, of its own).
 */
export async function* layerTarChunks(changes: AsyncIterable<Change> | Iterable<Change>, opts: WriteLayerOptions = {}): AsyncGenerator<Buffer> {
  const seenInodes = new Map<string, string>();
  const markerTime = opts.clampMtime ?? 0;
  // Small pieces are gathered into batches: one consumer wake-up per batch, not per header.
  let batch: Buffer[] = [];
  let batched = 0;
  // Bytes produced so far (batched ones included): where the next entry starts.
  let offset = 0;
  // With reuseBuffers: the batch is assembled in `joined`, large reads land in `reading`.
  let joined = opts.reuseBuffers ? Buffer.allocUnsafe(BATCH + DIRECT) : undefined;
  const reading = opts.reuseBuffers ? Buffer.allocUnsafe(CHUNK) : undefined;
  const room = (n: number): Buffer => {
    if (joined!.length - batched < n) {
      const bigger = Buffer.allocUnsafe(batched + n);
      joined!.copy(bigger, 0, 0, batched);
      joined = bigger;
    }
    return joined!;
  };
  const add = (b: Buffer) => {
    if (joined) b.copy(room(b.length), batched);
    else batch.push(b);
    batched += b.length;
    offset += b.length;
  };
  /** A small file's content, read straight into the batch. */
  const addFile = (path: string, size: number, name: string, verify: BigIntStats | undefined): void => {
    readInto(path, room(size), batched, size, name, verify);
    batched += size;
    offset += size;
  };
  // Entries taken from an earlier tar, joined while they follow each other there: one read for
  // a run of unchanged files.
  let run: { file: string; offset: number; length: number } | undefined;
  const endRun = function* (): Generator<Buffer> {
    if (!run) return;
    const r = run;
    run = undefined;
    if (batched > 0) yield take();
    yield* streamRange(r.file, r.offset, r.length, reading, () => `${r.file} ended before the ${r.length} bytes at ${r.offset} an earlier layer held there`);
  };
  const take = (): Buffer => {
    const out = joined ? joined.subarray(0, batched) : batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    return out;
  };
  for await (const p of lookahead(changes, opts.readFile ? READ_LOOKAHEAD : LOOKAHEAD, (c) => prepare(c, opts))) {
    const c = p.change;
    if (c.kind === 'bytes') {
      opts.onMember?.(c.path, 'file', c.size);
      if (run && (run.file !== c.file || run.offset + run.length !== c.offset)) yield* endRun();
      if (run) run.length += c.length;
      else run = { file: c.file, offset: c.offset, length: c.length };
      opts.onFileEntry?.(c.path, offset, c.length);
      offset += c.length;
      continue;
    }
    yield* endRun();
    if (c.kind === 'delete') {
      const base = c.path.slice(c.path.lastIndexOf('/') + 1);
      const name = join2(dirname(c.path), WHITEOUT_PREFIX + base);
      opts.onMember?.(name, 'file', 0);
      add(encodeHeader(markerHeader(name, markerTime)));
    } else if (c.kind === 'opaque') {
      const name = join2(c.path, OPAQUE_MARKER);
      opts.onMember?.(name, 'file', 0);
      add(encodeHeader(markerHeader(name, markerTime)));
    } else {
      const h = p.header;
      const st = p.stat;
      if (!h || !st) continue;
      try {
        let hardlinkTo: string | undefined;
        if (h.type === 'file' && st.nlink > 1n && !c.written) {
          const inode = `${st.dev}:${st.ino}`;
          hardlinkTo = seenInodes.get(inode);
          if (hardlinkTo === undefined) seenInodes.set(inode, h.name);
        }
        if (hardlinkTo !== undefined) {
          opts.onMember?.(h.name, 'hardlink', 0);
          add(encodeHeader({ ...h, type: 'hardlink', linkname: hardlinkTo, size: 0 }));
        } else {
          const start = offset;
          opts.onMember?.(h.name, h.type, h.size);
          add(encodeHeader(h));
          if (h.type === 'file' && h.size > 0) {
            // Bytes read elsewhere go back to their lender after this entry: the batch has a copy.
            if (p.release && joined) add(p.content!);
            else if (joined && h.size < DIRECT) addFile(c.source, h.size, c.path, c.verify);
            else if (p.content && p.content.length < DIRECT) add(p.content);
            else if (p.content) {
              // Copying a large file into a batch costs more than the wake-up it saves (fresh
              // memory faults in page by page): it goes out as it was read.
              yield take();
              yield p.content;
              offset += p.content.length;
            } else {
              if (batched > 0) yield take();
              const shrank = (read: number) => `${c.path} shrank while the layer was written (expected ${h.size} bytes, read ${read})`;
              const verify = c.verify ? { stat: c.verify, name: c.path } : undefined;
              for (const chunk of streamRange(c.source, 0, h.size, reading, shrank, verify)) {
                offset += chunk.length;
                yield chunk;
              }
            }
            const pad = paddingFor(h.size);
            // Copied into the batch when buffers are reused; else handed out, and never shared.
            if (pad > 0) add(joined ? ZEROS.subarray(0, pad) : Buffer.alloc(pad));
          }
          if (h.type === 'file') opts.onFileEntry?.(c.path, start, offset - start);
        }
      } finally {
        // Its bytes are in the batch now (or were not needed: a hard link).
        p.release?.();
      }
    }
    if (batched >= BATCH) yield take();
  }
  yield* endRun();
  add(END_OF_ARCHIVE);
  yield take();
}

/** The layer tar for `changes` as a byte stream (see layerTarChunks). */
export function writeLayer(changes: AsyncIterable<Change> | Iterable<Change>, opts: WriteLayerOptions = {}): Readable {
  return Readable.from(layerTarChunks(changes, opts), { objectMode: false, highWaterMark: CHUNK });
}
