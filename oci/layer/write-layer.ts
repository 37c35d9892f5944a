// Layer tar writer: turns a change list into an OCI layer tar stream. File contents are read
// in bounded chunks while the stream is consumed; a few entries are prepared ahead so that
// the stat/read syscalls of small files overlap.
import { closeSync, openSync, readSync, type BigIntStats } from 'node:fs';
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
}

export class LayerWriteError extends Error {
  override name = 'LayerWriteError';
}

const SMALL_FILE = 256 * 1024;
const CHUNK = 1024 * 1024;
const LOOKAHEAD = 32;
const BATCH = 512 * 1024;
const DIRECT = 64 * 1024;

interface Prepared {
  change: Change;
  header?: TarHeader;
  stat?: BigIntStats;
  /** Whole content for small files, read ahead. */
  content?: Buffer;
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
  let mtime = Number(st.mtimeNs / 1_000_000_000n);
  if (opts.clampMtime !== undefined && mtime > opts.clampMtime) mtime = opts.clampMtime;
  const xattrs: Xattrs = new Map();
  const mode = opts.xattrs ?? 'changes';
  const raw = mode === 'changes' ? change.xattrs : mode === 'read' ? await readXattrs(change.source) : undefined;
  if (raw) for (const [k, v] of raw) if (!isOverlayInternal(k)) xattrs.set(k, v);
  const header: TarHeader = {
    name: change.path,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtime,
    linkname: type === 'symlink' ? await readlink(change.source) : '',
    devmajor: type === 'char' || type === 'block' ? devMajor(st.rdev) : 0,
    devminor: type === 'char' || type === 'block' ? devMinor(st.rdev) : 0,
    xattrs,
  };
  let content: Buffer | undefined;
  if (type === 'file' && header.size <= SMALL_FILE && st.nlink === 1n) {
    content = readSmall(change.source, header.size, change.path);
  }
  return { change, header, stat: st, content };
}

// Small files are read synchronously: from the page cache that takes microseconds, less than
// the three thread-pool round trips of open/read/close.
function readSmall(path: string, size: number, name: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== size) {
      throw new LayerWriteError(`${name} changed size while the layer was written (expected ${size} bytes, read ${off})`);
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

// Large files: bounded chunks, read synchronously (one chunk blocks the loop for well under a
// millisecond from the page cache), handed to the consumer one at a time.
async function* streamFile(path: string, size: number, name: string): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    let off = 0;
    while (off < size) {
      const want = Math.min(CHUNK, size - off);
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, off);
      if (n === 0) throw new LayerWriteError(`${name} shrank while the layer was written (expected ${size} bytes, read ${off})`);
      off += n;
      yield n === want ? buf : buf.subarray(0, n);
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
 * A regular file whose inode was already written becomes a hardlink entry to the first path.
 */
export async function* layerTarChunks(changes: AsyncIterable<Change> | Iterable<Change>, opts: WriteLayerOptions = {}): AsyncGenerator<Buffer> {
  const seenInodes = new Map<string, string>();
  const markerTime = opts.clampMtime ?? 0;
  // Small pieces are gathered into batches: one consumer wake-up per batch, not per header.
  let batch: Buffer[] = [];
  let batched = 0;
  const add = (b: Buffer) => {
    batch.push(b);
    batched += b.length;
  };
  const take = (): Buffer => {
    const out = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    return out;
  };
  for await (const p of lookahead(changes, LOOKAHEAD, (c) => prepare(c, opts))) {
    const c = p.change;
    if (c.kind === 'delete') {
      const base = c.path.slice(c.path.lastIndexOf('/') + 1);
      add(encodeHeader(markerHeader(join2(dirname(c.path), WHITEOUT_PREFIX + base), markerTime)));
    } else if (c.kind === 'opaque') {
      add(encodeHeader(markerHeader(join2(c.path, OPAQUE_MARKER), markerTime)));
    } else {
      const h = p.header;
      const st = p.stat;
      if (!h || !st) continue;
      let hardlinkTo: string | undefined;
      if (h.type === 'file' && st.nlink > 1n) {
        const inode = `${st.dev}:${st.ino}`;
        hardlinkTo = seenInodes.get(inode);
        if (hardlinkTo === undefined) seenInodes.set(inode, h.name);
      }
      if (hardlinkTo !== undefined) {
        add(encodeHeader({ ...h, type: 'hardlink', linkname: hardlinkTo, size: 0 }));
      } else {
        add(encodeHeader(h));
        if (h.type === 'file' && h.size > 0) {
          if (p.content && p.content.length < DIRECT) add(p.content);
          else if (p.content) {
            // Copying a large file into a batch costs more than the wake-up it saves (fresh
            // memory faults in page by page): it goes out as it was read.
            yield take();
            yield p.content;
          } else {
            if (batched > 0) yield take();
            yield* streamFile(c.source, h.size, c.path);
          }
          const pad = paddingFor(h.size);
          if (pad > 0) add(Buffer.alloc(pad));
        }
      }
    }
    if (batched >= BATCH) yield take();
  }
  add(END_OF_ARCHIVE);
  yield take();
}

/** The layer tar for `changes` as a byte stream (see layerTarChunks). */
export function writeLayer(changes: AsyncIterable<Change> | Iterable<Change>, opts: WriteLayerOptions = {}): Readable {
  return Readable.from(layerTarChunks(changes, opts), { objectMode: false, highWaterMark: CHUNK });
}
