// A local context with include/exclude patterns is presented to its consumers as a directory
// holding only the selected entries: a farm of hard links to the context's files, kept under
// `<root>/locals/` and brought up to date on each build (an unchanged file keeps its link, so
// this costs a stat per entry, not a copy). Files on another filesystem are copied instead, and
// recopied when their size or mtime changes.
import { copyFile, link, lstat, mkdir, readdir, readlink, rm, symlink, chmod, lutimes, chown } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join, resolve } from 'node:path';
import { PathFilter } from '../patterns/index.ts';

async function tryLstat(p: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(p, { bigint: true });
  } catch {
    return undefined;
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  if (a.ino === b.ino && a.dev === b.dev) return true;
  // A copy (cross-device): trust it while size, mtime, mode and owner agree.
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}

async function placeFile(src: string, dst: string, st: BigIntStats): Promise<void> {
  try {
    await link(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    await copyFile(src, dst);
    await chmod(dst, Number(st.mode & 0o7777n));
    if (process.getuid?.() === 0) await chown(dst, Number(st.uid), Number(st.gid));
    await lutimes(dst, new Date(Number(st.atimeMs)), new Date(Number(st.mtimeNs / 1000000n)));
    // lutimes has millisecond precision here: make the comparison next time see the same value.
  }
}

/**
 * Makes `dst` hold exactly the entries of `src` that `filter` selects. Returns whether it has any.
 * Directories listed in `skip` (absolute paths: the state root, which holds the farm itself when
 * the context is a parent of it) are never entered, or the farm would link itself forever.
 */
export async function syncLinkFarm(
  src: string,
  dst: string,
  filter: PathFilter,
  rel = '',
  skip: ReadonlySet<string> = new Set([resolve(dst)]),
): Promise<boolean> {
  const srcDir = rel === '' ? src : join(src, rel);
  const dstDir = rel === '' ? dst : join(dst, rel);
  await mkdir(dstDir, { recursive: true });
  const keep = new Set<string>();
  const entries = await readdir(srcDir, { withFileTypes: true });
  for (const ent of entries) {
    const childRel = rel === '' ? ent.name : `${rel}/${ent.name}`;
    const s = join(srcDir, ent.name);
    const d = join(dstDir, ent.name);
    if (ent.isDirectory()) {
      if (skip.has(resolve(s))) continue;
      if (!filter.descend(childRel) && !filter.selects(childRel)) continue;
      const existing = await tryLstat(d);
      if (existing && !existing.isDirectory()) await rm(d, { recursive: true, force: true });
      const any = await syncLinkFarm(src, dst, filter, childRel, skip);
      if (any || filter.selects(childRel)) {
        keep.add(ent.name);
        const st = await lstat(s, { bigint: true });
        await chmod(d, Number(st.mode & 0o7777n));
      } else await rm(d, { recursive: true, force: true });
      continue;
    }
    if (!filter.selects(childRel)) continue;
    keep.add(ent.name);
    const st = await lstat(s, { bigint: true });
    const existing = await tryLstat(d);
    if (st.isSymbolicLink()) {
      const target = await readlink(s);
      if (existing?.isSymbolicLink() && (await readlink(d)) === target) continue;
      if (existing) await rm(d, { recursive: true, force: true });
      await symlink(target, d);
      continue;
    }
    if (!st.isFile()) continue;
    if (existing?.isFile() && sameFile(st, existing)) continue;
    if (existing) await rm(d, { recursive: true, force: true });
    await placeFile(s, d, st);
  }
  for (const name of await readdir(dstDir)) if (!keep.has(name)) await rm(join(dstDir, name), { recursive: true, force: true });
  return keep.size > 0;
}
