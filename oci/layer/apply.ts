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
import { runTool } from '../tool.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './changes.ts';
import { UnsafeLayerError, ancestorsAreDirs, memberParts, resolveDir } from './safe-path.ts';
import { makeNode } from './special-files.ts';
import { readTar } from './tar-reader.ts';
import type { TarHeader } from './tar-format.ts';
import { OVERLAY_OPAQUE, isOverlayInternal, writeXattrs, type Xattrs } from './xattrs.ts';

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

interface DeferredDir {
  rel: string;
  ino: number;
  mode: number;
  mtime: number;
}

/** Applies one layer tar onto `target`. Throws UnsafeLayerError or TarFormatError for bad layers. */
export async function applyLayer(target: string, tar: AsyncIterable<Buffer | Uint8Array | string>, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const isRoot = process.getuid?.() === 0;
  const doChown = opts.chown ?? isRoot;
  const overlay = opts.mode === 'overlay';
  const makeDevices = (opts.devices ?? 'auto') === 'auto' && isRoot;
  const withXattrs = opts.xattrs ?? true;
  const result: ApplyResult = { entries: 0, bytes: 0, whiteouts: 0, opaques: 0, skipped: [], xattrsSkipped: 0 };
  /** Paths written by this layer (resolved, relative): opaque markers keep them. */
  const written = new Set<string>();
  const dirs = new Map<string, DeferredDir>();
  const xattrs = new Map<string, { ino: number; xattrs: Xattrs }>();
  const whiteoutDevices = new Set<string>();
  const opaqueDirs = new Map<string, number>();

  const rootStat = lstatSync(target);
  if (!rootStat.isDirectory()) throw new Error(`cannot apply a layer onto ${target}: not a directory`);

  const markWritten = (rel: string) => {
    written.add(rel);
    whiteoutDevices.delete(rel);
  };

  // Parent resolutions by lexical parent path. Valid until a directory or symlink is removed
  // (the only way a resolved path can start to lead elsewhere).
  const parents = new Map<string, string[]>();
  const resolveParent = (parts: string[]): string[] => {
    const key = parts.join('/');
    const hit = parents.get(key);
    if (hit) return hit;
    const r = resolveDir(target, parts, true)!;
    for (const c of r.created) markWritten(c);
    parents.set(key, r.parts);
    return r.parts;
  };

  function removeExisting(abs: string, keepDir: boolean): 'dir-kept' | 'gone' {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return 'gone';
    if (st.isDirectory()) {
      if (keepDir) return 'dir-kept';
      rmSync(abs, { recursive: true, force: true });
    } else unlinkSync(abs);
    if (!st.isFile()) parents.clear();
    return 'gone';
  }

  function clearOlder(dirRel: string): void {
    const abs = dirRel === '' ? target : join(target, dirRel);
    for (const name of readdirSync(abs)) {
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      if (!written.has(rel)) {
        rmSync(join(target, rel), { recursive: true, force: true });
        parents.clear();
        continue;
      }
      if (lstatSync(join(target, rel)).isDirectory()) clearOlder(rel);
    }
  }

  function whiteout(h: TarHeader, parts: string[]): void {
    const base = parts[parts.length - 1]!;
    if (base === OPAQUE_MARKER) {
      result.opaques++;
      // A missing directory is created: it is empty by definition.
      const rel = resolveParent(parts.slice(0, -1)).join('/');
      if (rel === '' && overlay) throw new UnsafeLayerError('an opaque marker at the root of a layer cannot be represented in an overlay upper dir');
      clearOlder(rel);
      if (overlay) opaqueDirs.set(rel, lstatSync(rel === '' ? target : join(target, rel)).ino);
      return;
    }
    // A missing parent is created, as for any other entry (and as containerd and Docker do), so
    // both snapshotters give the same tree.
    const parent = resolveParent(parts.slice(0, -1));
    if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // other aufs metadata: not content
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw new UnsafeLayerError(`invalid whiteout ${JSON.stringify(h.name)}: it names "${name}"`);
    result.whiteouts++;
    const rel = [...parent, name].join('/');
    removeExisting(join(target, rel), false);
    written.delete(rel);
    if (overlay) whiteoutDevices.add(rel);
  }

  async function entry(h: TarHeader, parts: string[], body: () => AsyncIterable<Buffer>): Promise<void> {
    const base = parts[parts.length - 1]!;
    const parent = resolveParent(parts.slice(0, -1));
    const rel = parent.length === 0 ? base : `${parent.join('/')}/${base}`;
    const abs = join(target, rel);
    const attrs = new Map<string, Buffer>();
    if (withXattrs) for (const [k, v] of h.xattrs) if (!isOverlayInternal(k)) attrs.set(k, v);

    switch (h.type) {
      case 'dir': {
        if (removeExisting(abs, true) === 'gone') mkdirSync(abs, { mode: 0o700 });
        if (doChown) lchownSync(abs, h.uid, h.gid);
        const st = lstatSync(abs);
        dirs.set(rel, { rel, ino: st.ino, mode: h.mode, mtime: h.mtime });
        if (attrs.size > 0) xattrs.set(rel, { ino: st.ino, xattrs: attrs });
        break;
      }
      case 'hardlink': {
        const tParts = memberParts(h.linkname, 'hardlink target');
        if (tParts.length === 0) throw new UnsafeLayerError(`hardlink ${JSON.stringify(h.name)} has an empty target`);
        const tParent = resolveDir(target, tParts.slice(0, -1), false);
        const tRel = tParent ? [...tParent.parts, tParts[tParts.length - 1]!].join('/') : null;
        const tStat = tRel === null ? undefined : lstatSync(join(target, tRel), { throwIfNoEntry: false });
        if (!tStat || tStat.isDirectory()) {
          throw new UnsafeLayerError(
            `hardlink ${JSON.stringify(h.name)} → ${JSON.stringify(h.linkname)}: the target is not an existing file inside the layer's root`,
          );
        }
        if (tRel === rel) break;
        removeExisting(abs, false);
        linkSync(join(target, tRel!), abs);
        break;
      }
      case 'symlink': {
        removeExisting(abs, false);
        symlinkSync(h.linkname, abs);
        if (doChown) lchownSync(abs, h.uid, h.gid);
        lutimesSync(abs, h.mtime, h.mtime);
        break;
      }
      case 'file': {
        removeExisting(abs, false);
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
          result.bytes += pos;
          if (doChown) fchownSync(fd, h.uid, h.gid);
          fchmodSync(fd, h.mode); // after chown, which clears setuid/setgid
          futimesSync(fd, h.mtime, h.mtime);
        } finally {
          closeSync(fd);
        }
        if (attrs.size > 0) xattrs.set(rel, { ino: lstatSync(abs).ino, xattrs: attrs });
        break;
      }
      case 'fifo':
      case 'char':
      case 'block': {
        if (h.type !== 'fifo' && !makeDevices) {
          result.skipped.push(`${rel}: device node (not running as root)`);
          return;
        }
        removeExisting(abs, false);
        await makeNode(abs, h.type, h.devmajor, h.devminor);
        const st = lstatSync(abs);
        if (!(h.type === 'fifo' ? st.isFIFO() : h.type === 'char' ? st.isCharacterDevice() : st.isBlockDevice())) {
          throw new UnsafeLayerError(`${rel} changed while it was being created`);
        }
        if (doChown) lchownSync(abs, h.uid, h.gid);
        chmodSync(abs, h.mode);
        utimesSync(abs, h.mtime, h.mtime);
        if (attrs.size > 0) xattrs.set(rel, { ino: st.ino, xattrs: attrs });
        break;
      }
    }
    markWritten(rel);
  }

  for await (const m of readTar(tar)) {
    const h = m.header;
    const parts = memberParts(h.name);
    if (parts.length === 0) {
      if (h.type === 'dir') continue; // "./": the root itself keeps its own metadata
      throw new UnsafeLayerError(`layer entry ${JSON.stringify(h.name)} names the root but is not a directory`);
    }
    result.entries++;
    if (parts[parts.length - 1]!.startsWith(WHITEOUT_PREFIX)) whiteout(h, parts);
    else await entry(h, parts, m.body);
  }

  // Deferred work. Each path is re-checked: it must still lead through real directories to the
  // same inode, so a later entry that replaced a parent with a symlink cannot redirect it.
  const stillThere = (rel: string, ino?: number, kind?: 'dir'): boolean => {
    if (!ancestorsAreDirs(target, rel)) return false;
    const st = lstatSync(join(target, rel), { throwIfNoEntry: false });
    if (!st || (ino !== undefined && st.ino !== ino)) return false;
    return kind !== 'dir' || st.isDirectory();
  };

  const devices: string[] = [];
  // Below an opaque directory of this layer a whiteout hides nothing, and overlayfs would list
  // it (it filters whiteouts only in directories that several layers hold).
  const underOpaque = (rel: string) => [...opaqueDirs.keys()].some((d) => rel.startsWith(`${d}/`));
  for (const rel of whiteoutDevices) {
    if (underOpaque(rel)) continue;
    if (ancestorsAreDirs(target, rel) && !lstatSync(join(target, rel), { throwIfNoEntry: false })) devices.push(join(target, rel));
  }
  for (let i = 0; i < devices.length; i += 500) {
    await runTool('sh', ['-c', 'for p in "$@"; do mknod "$p" c 0 0 || exit 1; done', 'sh', ...devices.slice(i, i + 500)]);
  }

  const xattrItems: { path: string; xattrs: Xattrs }[] = [];
  for (const [rel, x] of xattrs) if (stillThere(rel, x.ino)) xattrItems.push({ path: join(target, rel), xattrs: x.xattrs });
  for (const [rel, ino] of opaqueDirs) {
    if (stillThere(rel, ino, 'dir')) xattrItems.push({ path: join(target, rel), xattrs: new Map([[OVERLAY_OPAQUE, Buffer.from('y')]]) });
  }
  if (opaqueDirs.size > 0 && xattrItems.length > 0) {
    const w = await writeXattrs(xattrItems);
    if (w.skipped > 0) throw new Error('applying a layer in overlay mode needs setfattr (Debian package "attr") to mark opaque directories');
  } else {
    result.xattrsSkipped = (await writeXattrs(xattrItems)).skipped;
  }

  // Deepest first, so a parent's mtime is set after its children stop changing it.
  const ordered = [...dirs.values()].sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
  for (const d of ordered) {
    if (!stillThere(d.rel, d.ino, 'dir')) continue;
    const abs = join(target, d.rel);
    chmodSync(abs, d.mode);
    utimesSync(abs, d.mtime, d.mtime);
  }
  return result;
}
