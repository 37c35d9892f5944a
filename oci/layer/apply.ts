// Safe application of a layer tar onto a directory. Filesystem calls are synchronous: each
// is a few microseconds on a local filesystem, far less than a thread-pool round trip, and
// an unpack is a long run of them; only the tar stream itself is awaited.
// Every name, hardlink target and whiteout is
// resolved inside the target (see safe-path.ts); the final component is never followed; files
// are created with O_EXCL|O_NOFOLLOW after whatever was at the path is removed. Directory
// metadata, whiteout devices and xattrs are applied at the end, after re-checking that their
// paths still lead through real directories.
import {
  constants as C,
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { applyDeferred, type Deferred } from './apply-deferred.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './changes.ts';
import { UnsafeLayerError, memberParts, resolveDir } from './safe-path.ts';
import { makeNode } from './special-files.ts';
import { readTar } from './tar-reader.ts';
import type { TarHeader } from './tar-format.ts';
import { isOverlayInternal } from './xattrs.ts';

export interface ApplyOptions {
  /**
   * `plain` (default): whiteouts delete, opaque markers empty the directory of older content.
   * `overlay`: the target is an overlayfs upper dir; whiteouts become char devices 0/0 and
   * opaque markers the `trusted.overlay.opaque=y` xattr, so lower layers are hidden by the
   * kernel. The upper dir is written as if it were the whole tree, so use this mode for a
   * self-contained layer (a base layer, a computed diff); to unpack onto lower layers, apply in
   * plain mode through the overlay mount.
   */
  mode?: 'plain' | 'overlay';
  /** Apply uid/gid. Default: when running as root. */
  chown?: boolean;
  /** Device nodes: created when root, otherwise skipped (and listed in `skipped`). */
  devices?: 'auto' | 'skip';
  /** Apply `SCHILY.xattr.*` records. Default true. */
  xattrs?: boolean;
}

export interface ApplyResult {
  entries: number;
  /** Bytes of regular-file content written. */
  bytes: number;
  whiteouts: number;
  opaques: number;
  /** Paths not created (device nodes when not root) with the reason. */
  skipped: string[];
  xattrsSkipped: number;
}

/** Applies one layer tar onto `target`. Throws UnsafeLayerError or TarFormatError for bad layers. */
export async function applyLayer(target: string, tar: AsyncIterable<Buffer | Uint8Array | string>, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const applier = new LayerApplier(target, opts);
  for await (const m of readTar(tar)) await applier.member(m.header, m.body);
  await applyDeferred(target, applier.deferred, applier.result);
  return applier.result;
}

/** One layer's entries, applied in order; what must wait for the end goes to `deferred`. */
class LayerApplier {
  readonly result: ApplyResult = { entries: 0, bytes: 0, whiteouts: 0, opaques: 0, skipped: [], xattrsSkipped: 0 };
  readonly deferred: Deferred = { dirs: new Map(), xattrs: new Map(), whiteoutDevices: new Set(), opaqueDirs: new Map() };
  readonly #target: string;
  readonly #chown: boolean;
  readonly #overlay: boolean;
  readonly #devices: boolean;
  readonly #xattrs: boolean;
  /** Paths written by this layer (resolved, relative): opaque markers keep them. */
  readonly #written = new Set<string>();
  // Parent resolutions by lexical parent path. Valid until a directory or symlink is removed
  // (the only way a resolved path can start to lead elsewhere).
  readonly #parents = new Map<string, string[]>();

  constructor(target: string, opts: ApplyOptions) {
    const isRoot = process.getuid?.() === 0;
    this.#target = target;
    this.#chown = opts.chown ?? isRoot;
    this.#overlay = opts.mode === 'overlay';
    this.#devices = (opts.devices ?? 'auto') === 'auto' && isRoot;
    this.#xattrs = opts.xattrs ?? true;
    if (!lstatSync(target).isDirectory()) throw new Error(`cannot apply a layer onto ${target}: not a directory`);
  }

  async member(h: TarHeader, body: () => AsyncIterable<Buffer>): Promise<void> {
    const parts = memberParts(h.name);
    if (parts.length === 0) {
      if (h.type === 'dir') return; // "./": the root itself keeps its own metadata
      throw new UnsafeLayerError(`layer entry ${JSON.stringify(h.name)} names the root but is not a directory`);
    }
    this.result.entries++;
    if (parts[parts.length - 1]!.startsWith(WHITEOUT_PREFIX)) this.#whiteout(h, parts);
    else await this.#entry(h, parts, body);
  }

  #markWritten(rel: string): void {
    this.#written.add(rel);
    this.deferred.whiteoutDevices.delete(rel);
  }

  #resolveParent(parts: string[]): string[] {
    const key = parts.join('/');
    const hit = this.#parents.get(key);
    if (hit) return hit;
    const r = resolveDir(this.#target, parts, true)!;
    for (const c of r.created) this.#markWritten(c);
    this.#parents.set(key, r.parts);
    return r.parts;
  }

  #removeExisting(abs: string, keepDir: boolean): 'dir-kept' | 'gone' {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return 'gone';
    if (st.isDirectory()) {
      if (keepDir) return 'dir-kept';
      rmSync(abs, { recursive: true, force: true });
    } else unlinkSync(abs);
    if (!st.isFile()) this.#parents.clear();
    return 'gone';
  }

  /** Empties `dirRel` of what older layers put there (an opaque marker), keeping this layer's own. */
  #clearOlder(dirRel: string): void {
    const abs = dirRel === '' ? this.#target : join(this.#target, dirRel);
    for (const name of readdirSync(abs)) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      if (!this.#written.has(rel)) {
        rmSync(join(this.#target, rel), { recursive: true, force: true });
        this.#parents.clear();
        continue;
      }
      if (lstatSync(join(this.#target, rel)).isDirectory()) this.#clearOlder(rel);
    }
  }

  #whiteout(h: TarHeader, parts: string[]): void {
    const base = parts[parts.length - 1]!;
    if (base === OPAQUE_MARKER) {
      this.result.opaques++;
      // A missing directory is created: it is empty by definition.
      const rel = this.#resolveParent(parts.slice(0, -1)).join('/');
      if (rel === '' && this.#overlay) throw new UnsafeLayerError('an opaque marker at the root of a layer cannot be represented in an overlay upper dir');
      this.#clearOlder(rel);
      if (this.#overlay) this.deferred.opaqueDirs.set(rel, lstatSync(rel === '' ? this.#target : join(this.#target, rel)).ino);
      return;
    }
    // A missing parent is created, as for any other entry (and as containerd and Docker do), so
    // both snapshotters give the same tree.
    const parent = this.#resolveParent(parts.slice(0, -1));
    if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // other aufs metadata: not content
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw new UnsafeLayerError(`invalid whiteout ${JSON.stringify(h.name)}: it names "${name}"`);
    this.result.whiteouts++;
    const rel = [...parent, name].join('/');
    this.#removeExisting(join(this.#target, rel), false);
    this.#written.delete(rel);
    if (this.#overlay) this.deferred.whiteoutDevices.add(rel);
  }

  async #entry(h: TarHeader, parts: string[], body: () => AsyncIterable<Buffer>): Promise<void> {
    const base = parts[parts.length - 1]!;
    const parent = this.#resolveParent(parts.slice(0, -1));
    const rel = parent.length === 0 ? base : `${parent.join('/')}/${base}`;
    const abs = join(this.#target, rel);
    const attrs = new Map<string, Buffer>();
    if (this.#xattrs) for (const [k, v] of h.xattrs) if (!isOverlayInternal(k)) attrs.set(k, v);
    let ino: number | undefined;
    switch (h.type) {
      case 'dir':
        ino = this.#dir(h, rel, abs);
        break;
      case 'hardlink':
        this.#hardlink(h, rel, abs);
        break;
      case 'symlink':
        this.#removeExisting(abs, false);
        symlinkSync(h.linkname, abs);
        if (this.#chown) lchownSync(abs, h.uid, h.gid);
        lutimesSync(abs, h.mtime, h.mtime);
        break;
      case 'file':
        ino = await this.#file(h, abs, body, attrs.size > 0);
        break;
      case 'fifo':
      case 'char':
      case 'block':
        if (h.type !== 'fifo' && !this.#devices) {
          this.result.skipped.push(`${rel}: device node (not running as root)`);
          return;
        }
        ino = await this.#node(h, rel, abs);
        break;
    }
    if (ino !== undefined && attrs.size > 0) this.deferred.xattrs.set(rel, { ino, xattrs: attrs });
    this.#markWritten(rel);
  }

  /** A directory: made (or kept), owned now; its mode and times wait for the end. */
  #dir(h: TarHeader, rel: string, abs: string): number {
    if (this.#removeExisting(abs, true) === 'gone') mkdirSync(abs, { mode: 0o700 });
    if (this.#chown) lchownSync(abs, h.uid, h.gid);
    const { ino } = lstatSync(abs);
    this.deferred.dirs.set(rel, { rel, ino, mode: h.mode, mtime: h.mtime });
    return ino;
  }

  #hardlink(h: TarHeader, rel: string, abs: string): void {
    const tParts = memberParts(h.linkname, 'hardlink target');
    if (tParts.length === 0) throw new UnsafeLayerError(`hardlink ${JSON.stringify(h.name)} has an empty target`);
    const tParent = resolveDir(this.#target, tParts.slice(0, -1), false);
    const tRel = tParent ? [...tParent.parts, tParts[tParts.length - 1]!].join('/') : null;
    const tStat = tRel === null ? undefined : lstatSync(join(this.#target, tRel), { throwIfNoEntry: false });
    if (!tStat || tStat.isDirectory()) {
      throw new UnsafeLayerError(
        `hardlink ${JSON.stringify(h.name)} → ${JSON.stringify(h.linkname)}: the target is not an existing file inside the layer's root`,
      );
    }
    if (tRel === rel) return;
    this.#removeExisting(abs, false);
    linkSync(join(this.#target, tRel!), abs);
  }

  /** The file's inode when `wantIno` (one more lstat: only for xattrs). */
  async #file(h: TarHeader, abs: string, body: () => AsyncIterable<Buffer>, wantIno: boolean): Promise<number | undefined> {
    this.#removeExisting(abs, false);
    const fd = openSync(abs, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    try {
      let pos = 0;
      for await (const chunk of body()) {
        let off = 0;
        while (off < chunk.length) {
          const n = writeSync(fd, chunk, off, chunk.length - off, pos);
          off += n;
          pos += n;
        }
      }
      this.result.bytes += pos;
      if (this.#chown) fchownSync(fd, h.uid, h.gid);
      fchmodSync(fd, h.mode); // after chown, which clears setuid/setgid
      futimesSync(fd, h.mtime, h.mtime);
    } finally {
      closeSync(fd);
    }
    return wantIno ? lstatSync(abs).ino : undefined;
  }

  async #node(h: TarHeader, rel: string, abs: string): Promise<number> {
    const type = h.type as 'fifo' | 'char' | 'block';
    this.#removeExisting(abs, false);
    await makeNode(abs, type, h.devmajor, h.devminor);
    const st = lstatSync(abs);
    if (!(type === 'fifo' ? st.isFIFO() : type === 'char' ? st.isCharacterDevice() : st.isBlockDevice())) {
      throw new UnsafeLayerError(`${rel} changed while it was being created`);
    }
    if (this.#chown) lchownSync(abs, h.uid, h.gid);
    chmodSync(abs, h.mode);
    utimesSync(abs, h.mtime, h.mtime);
    return st.ino;
  }
}
