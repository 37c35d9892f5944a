// Change lists from filesystems: (a) an overlayfs upper dir, which already is the diff, and
// (b) two plain trees compared file by file (for the copying snapshotter).
import { lstat, open, readlink } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Change } from './changes.ts';
import { listSorted, walkTree } from './walk.ts';
import { OVERLAY_OPAQUE, readXattrTree, type Xattrs } from './xattrs.ts';

export interface DiffOptions {
  /** Read extended attributes (one getfattr process per tree). Default true. */
  xattrs?: boolean;
}

function isWhiteoutDevice(st: BigIntStats): boolean {
  return st.isCharacterDevice() && st.rdev === 0n;
}

/**
 * The changes an overlayfs upper dir records: a char device 0/0 is a deletion, a directory
 * with `trusted.overlay.opaque=y` hides its lower contents, everything else was added or
 * changed (directories copied up only because a child changed are included, as their
 * metadata belongs in the layer).
 */
export async function* overlayUpperChanges(upper: string, opts: DiffOptions = {}): AsyncGenerator<Change> {
  const xattrs = opts.xattrs === false ? new Map<string, Xattrs>() : await readXattrTree(upper);
  for await (const e of walkTree(upper)) {
    if (isWhiteoutDevice(e.stat)) {
      yield { kind: 'delete', path: e.path };
      continue;
    }
    const x = xattrs.get(e.abs);
    yield { kind: 'entry', path: e.path, source: e.abs, stat: e.stat, xattrs: x };
    if (e.stat.isDirectory() && x?.get(OVERLAY_OPAQUE)?.toString() === 'y') yield { kind: 'opaque', path: e.path };
  }
}

function sameXattrs(a: Xattrs | undefined, b: Xattrs | undefined): boolean {
  const sa = a?.size ?? 0;
  const sb = b?.size ?? 0;
  if (sa !== sb) return false;
  if (sa === 0) return true;
  for (const [k, v] of a!) {
    const w = b!.get(k);
    if (!w || !w.equals(v)) return false;
  }
  return true;
}

async function sameContent(a: string, b: string, size: number): Promise<boolean> {
  if (size === 0) return true;
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const chunk = Math.min(size, 1 << 20);
    const ba = Buffer.allocUnsafe(chunk);
    const bb = Buffer.allocUnsafe(chunk);
    let off = 0;
    while (off < size) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, chunk, off), fb.read(bb, 0, chunk, off)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      off += ra.bytesRead;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** Whether the upper path differs from the lower one in anything a layer records. */
async function changed(lAbs: string, l: BigIntStats, uAbs: string, u: BigIntStats, lx: Xattrs | undefined, ux: Xattrs | undefined): Promise<boolean> {
  if ((l.mode & 0o170000n) !== (u.mode & 0o170000n)) return true;
  if (l.mode !== u.mode || l.uid !== u.uid || l.gid !== u.gid) return true;
  if (!sameXattrs(lx, ux)) return true;
  if (u.isDirectory()) return l.mtimeNs !== u.mtimeNs;
  if (l.dev === u.dev && l.ino === u.ino) return false; // the same inode (hardlink farm)
  if (u.isSymbolicLink()) return (await readlink(lAbs)) !== (await readlink(uAbs));
  if (u.isCharacterDevice() || u.isBlockDevice()) return l.rdev !== u.rdev;
  if (!u.isFile()) return l.mtimeNs !== u.mtimeNs;
  if (l.size !== u.size || l.mtimeNs !== u.mtimeNs) return true;
  // Same size and mtime: trust it unless the timestamp looks truncated to whole seconds, in
  // which case a rewrite within the same second would be invisible.
  if (u.mtimeNs % 1_000_000_000n !== 0n) return false;
  return !(await sameContent(lAbs, uAbs, Number(u.size)));
}

/**
 * The changes that turn `lower` into `upper`, by walking both trees. A deleted directory is
 * one deletion; an added directory comes with its whole subtree.
 */
export async function* treeDiffChanges(lower: string, upper: string, opts: DiffOptions = {}): AsyncGenerator<Change> {
  const [lx, ux] =
    opts.xattrs === false ? [new Map<string, Xattrs>(), new Map<string, Xattrs>()] : await Promise.all([readXattrTree(lower), readXattrTree(upper)]);
  yield* diffDir(lower, upper, '', lx, ux);
}

async function* diffDir(lower: string, upper: string, rel: string, lx: Map<string, Xattrs>, ux: Map<string, Xattrs>): AsyncGenerator<Change> {
  const lDir = rel === '' ? lower : join(lower, rel);
  const uDir = rel === '' ? upper : join(upper, rel);
  const [lNames, uNames] = await Promise.all([listSorted(lDir), listSorted(uDir)]);
  const names = [...new Set([...lNames, ...uNames])].sort();
  const lSet = new Set(lNames);
  const uSet = new Set(uNames);
  const stats = await Promise.all(
    names.map(
      async (n) =>
        [
          lSet.has(n) ? await lstat(join(lDir, n), { bigint: true }) : undefined,
          uSet.has(n) ? await lstat(join(uDir, n), { bigint: true }) : undefined,
        ] as const,
    ),
  );
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const path = rel === '' ? name : `${rel}/${name}`;
    const [ls, us] = stats[i]!;
    const uAbs = join(upper, path);
    const lAbs = join(lower, path);
    if (!us) {
      yield { kind: 'delete', path };
      continue;
    }
    if (!ls) {
      yield { kind: 'entry', path, source: uAbs, stat: us, xattrs: ux.get(uAbs) };
      if (us.isDirectory()) {
        for await (const e of walkTree(upper, path)) yield { kind: 'entry', path: e.path, source: e.abs, stat: e.stat, xattrs: ux.get(e.abs) };
      }
      continue;
    }
    if (us.isDirectory() && ls.isDirectory()) {
      if (await changed(lAbs, ls, uAbs, us, lx.get(lAbs), ux.get(uAbs))) yield { kind: 'entry', path, source: uAbs, stat: us, xattrs: ux.get(uAbs) };
      yield* diffDir(lower, upper, path, lx, ux);
      continue;
    }
    if (us.isDirectory()) {
      // A directory replaces a non-directory: the entry replaces it, then the whole subtree.
      yield { kind: 'entry', path, source: uAbs, stat: us, xattrs: ux.get(uAbs) };
      for await (const e of walkTree(upper, path)) yield { kind: 'entry', path: e.path, source: e.abs, stat: e.stat, xattrs: ux.get(e.abs) };
      continue;
    }
    if (await changed(lAbs, ls, uAbs, us, lx.get(lAbs), ux.get(uAbs))) yield { kind: 'entry', path, source: uAbs, stat: us, xattrs: ux.get(uAbs) };
  }
}
