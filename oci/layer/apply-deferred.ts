// What applying a layer leaves for the end, once every entry is in place: whiteout devices (overlay
// mode), xattrs (opaque markers included) and directory modes and times. Each path is re-checked
// first: it must still lead through real directories to the same inode, so a later entry that
// replaced a parent with a symlink cannot redirect the change.
import { chmodSync, lstatSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { ancestorsAreDirs } from './safe-path.ts';
import { makeWhiteoutDevices } from './special-files.ts';
import { OVERLAY_OPAQUE, writeXattrs, type Xattrs } from './xattrs.ts';

export interface DeferredDir {
  rel: string;
  ino: number;
  mode: number;
  mtime: number;
}

export interface Deferred {
  readonly dirs: Map<string, DeferredDir>;
  readonly xattrs: Map<string, { ino: number; xattrs: Xattrs }>;
  /** Paths a whiteout deleted that no later entry wrote again: char devices 0/0 in overlay mode. */
  readonly whiteoutDevices: Set<string>;
  /** Directories an opaque marker emptied (overlay mode), by inode. */
  readonly opaqueDirs: Map<string, number>;
}

export async function applyDeferred(target: string, d: Deferred, result: { xattrsSkipped: number }): Promise<void> {
  const stillThere = (rel: string, ino?: number, kind?: 'dir'): boolean => {
    if (!ancestorsAreDirs(target, rel)) return false;
    const st = lstatSync(join(target, rel), { throwIfNoEntry: false });
    if (!st || (ino !== undefined && st.ino !== ino)) return false;
    return kind !== 'dir' || st.isDirectory();
  };

  const devices: string[] = [];
  // Below an opaque directory of this layer a whiteout hides nothing, and overlayfs would list
  // it (it filters whiteouts only in directories that several layers hold).
  const underOpaque = (rel: string) => [...d.opaqueDirs.keys()].some((o) => rel.startsWith(`${o}/`));
  for (const rel of d.whiteoutDevices) {
    if (underOpaque(rel)) continue;
    if (ancestorsAreDirs(target, rel) && !lstatSync(join(target, rel), { throwIfNoEntry: false })) devices.push(join(target, rel));
  }
  await makeWhiteoutDevices(devices);

  const xattrItems: { path: string; xattrs: Xattrs }[] = [];
  for (const [rel, x] of d.xattrs) if (stillThere(rel, x.ino)) xattrItems.push({ path: join(target, rel), xattrs: x.xattrs });
  for (const [rel, ino] of d.opaqueDirs) {
    if (stillThere(rel, ino, 'dir')) xattrItems.push({ path: join(target, rel), xattrs: new Map([[OVERLAY_OPAQUE, Buffer.from('y')]]) });
  }
  if (d.opaqueDirs.size > 0 && xattrItems.length > 0) {
    const w = await writeXattrs(xattrItems);
    if (w.skipped > 0) throw new Error('applying a layer in overlay mode needs setfattr (Debian package "attr") to mark opaque directories');
  } else {
    result.xattrsSkipped = (await writeXattrs(xattrItems)).skipped;
  }

  // Deepest first, so a parent's mtime is set after its children stop changing it.
  const ordered = [...d.dirs.values()].sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
  for (const dir of ordered) {
    if (!stillThere(dir.rel, dir.ino, 'dir')) continue;
    const abs = join(target, dir.rel);
    chmodSync(abs, dir.mode);
    utimesSync(abs, dir.mtime, dir.mtime);
  }
}
