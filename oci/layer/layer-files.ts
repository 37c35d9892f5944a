// What a layer tar holds, path by path: the listing that waste analysis and `tsbuild inspect`
// work from. It is read off the tar bytes as they stream past (headers only; file bodies are
// skipped, never copied), so a layer that is being compressed anyway costs one more cheap pass
// over memory, not another read of the filesystem.
import { PassThrough, Transform } from 'node:stream';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './changes.ts';
import { readTar } from './tar-reader.ts';

/**
 * - `file`: regular file (its size is its content); `hardlink`: a second name, no content.
 * - `whiteout`: the layer deletes `path` (a `.wh.<name>` marker, path given without the prefix).
 * - `opaque`: the layer hides everything below the directory `path` that lower layers put there.
 */
export type LayerFileKind = 'file' | 'hardlink' | 'dir' | 'symlink' | 'other' | 'whiteout' | 'opaque';

export interface LayerFileEntry {
  /** Relative, no leading `./` or `/`, no trailing slash. */
  readonly path: string;
  readonly kind: LayerFileKind;
  /** Content bytes (regular files only; 0 otherwise). */
  readonly size: number;
}

export interface LayerFiles {
  /** Bytes of the uncompressed tar (its padding and headers included). */
  readonly tarSize: number;
  readonly entries: readonly LayerFileEntry[];
}

function normalize(name: string): string {
  let p = name;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p === '.' ? '' : p;
}

function entryOf(name: string, type: string, size: number): LayerFileEntry | undefined {
  const path = normalize(name);
  if (path === '') return undefined;
  const slash = path.lastIndexOf('/');
  const dir = slash === -1 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { path: dir, kind: 'opaque', size: 0 };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const target = base.slice(WHITEOUT_PREFIX.length);
    return { path: dir === '' ? target : `${dir}/${target}`, kind: 'whiteout', size: 0 };
  }
  switch (type) {
    case 'file':
      return { path, kind: 'file', size };
    case 'hardlink':
    case 'dir':
    case 'symlink':
      return { path, kind: type, size: 0 };
    default:
      return { path, kind: 'other', size: 0 };
  }
}

/** Lists a layer tar (uncompressed) by reading it to the end. */
export async function listLayerTar(tar: AsyncIterable<Buffer | Uint8Array | string>): Promise<LayerFiles> {
  const it = tar[Symbol.asyncIterator]();
  let tarSize = 0;
  const next = async (): Promise<IteratorResult<Buffer | Uint8Array | string>> => {
    const r = await it.next();
    if (!r.done) tarSize += typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length;
    return r;
  };
  // readTar closes its source when it stops at the end-of-archive blocks; what follows them
  // still ships and is still counted, so the source stays open until read to its end.
  const view: AsyncIterable<Buffer | Uint8Array | string> = {
    [Symbol.asyncIterator]: () => ({ next, return: async () => ({ done: true, value: undefined }) }),
  };
  const entries: LayerFileEntry[] = [];
  try {
    for await (const m of readTar(view)) {
      const e = entryOf(m.header.name, m.header.type, m.header.size);
      if (e) entries.push(e);
    }
    while (!(await next()).done);
  } catch (err) {
    await it.return?.();
    throw err;
  }
  return { tarSize, entries };
}

/**
 * A pass-through stream that lists the tar going through it. `files` settles once the stream has
 * ended; a tar that cannot be listed rejects `files` but never fails the stream it taps.
 */
export function tapLayerFiles(): { stream: Transform; files: Promise<LayerFiles> } {
  // Chunks stay as they are on the listing's side (object mode): reading a byte stream joins
  // whatever it has buffered into a new buffer, a copy of the whole layer for a listing.
  const side = new PassThrough({ writableHighWaterMark: 1 << 20, readableObjectMode: true, readableHighWaterMark: 16 });
  let gaveUp = false;
  let waiting: (() => void) | undefined;
  const files = listLayerTar(side);
  files.catch(() => {
    gaveUp = true;
    waiting?.();
  });
  const stream = new Transform({
    transform(chunk: Buffer, _e, cb) {
      // The listing only slices what it is given, so it keeps pace; waiting on its buffer keeps
      // memory bounded when it does not.
      if (gaveUp || side.destroyed || side.write(chunk)) return cb(null, chunk);
      const release = (): void => {
        side.off('drain', release);
        waiting = undefined;
        cb(null, chunk);
      };
      waiting = release;
      side.once('drain', release);
    },
    flush(cb) {
      if (!gaveUp) side.end();
      cb();
    },
  });
  stream.on('error', (err) => side.destroy(err));
  return { stream, files };
}

/** A listing from what the layer writer reports of each member (`onMember`), for a tar not read back. */
export class LayerFilesBuilder {
  readonly #entries: LayerFileEntry[] = [];

  add(name: string, type: string, size: number): void {
    const e = entryOf(name, type, size);
    if (e) this.#entries.push(e);
  }

  done(tarSize: number): LayerFiles {
    return { tarSize, entries: this.#entries };
  }
}
