// Hardlink farm: replays a change list onto a directory by hard-linking files from the trees the
// changes were read from, instead of copying them. Used by the native snapshotter for merges and
// for diffs that reuse layers. Only for trees this process controls (committed snapshots):
// their files are never written in place, so sharing inodes is safe. Falls back to a copy when
// linking is impossible (another filesystem, too many links).
import { chmod, copyFile, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '../../oci/index.ts';
import { setOwner } from '../fileop/index.ts';
import { cleanLayerPath, writeXattrs, type Change, type Xattrs } from './layer-format.ts';

async function cpNode(src: string, dst: string): Promise<void> {
  await runTool('cp', ['-a', '--no-dereference', '--', src, dst]);
}

async function removePath(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true });
}

/** Copies a whole tree as hard links (directories recreated with their metadata). */
export async function linkTree(src: string, dst: string): Promise<void> {
  await runTool('cp', ['-a', '--link', '--no-dereference', '--', `${src}/.`, dst]);
}

export async function applyChangesLinked(dst: string, changes: AsyncIterable<Change>): Promise<void> {
  const written = new Set<string>();
  const dirs: { abs: string; mode: number; atime: Date; mtime: Date }[] = [];
  const xattrs: { path: string; xattrs: Xattrs }[] = [];

  async function clearOlder(rel: string): Promise<void> {
    const abs = rel === '' ? dst : join(dst, rel);
    for (const name of await readdir(abs)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (!written.has(r)) await removePath(join(dst, r));
      else if ((await lstat(join(dst, r))).isDirectory()) await clearOlder(r);
    }
  }

  for await (const c of changes) {
    const rel = cleanLayerPath(c.path);
    if (rel === '') continue;
    const abs = join(dst, rel);
    if (c.kind === 'delete') {
      await removePath(abs);
      written.delete(rel);
      continue;
    }
    if (c.kind === 'opaque') {
      await clearOlder(rel);
      continue;
    }
    if (c.kind === 'bytes') throw new Error(`${c.path}: a farm is made from trees, not from an earlier tar's bytes`);
    const st = c.stat ?? (await lstat(c.source, { bigint: true }));
    const existing = await lstat(abs).catch(() => null);
    await mkdir(join(abs, '..'), { recursive: true });
    if (st.isDirectory()) {
      if (existing && !existing.isDirectory()) await removePath(abs);
      if (!existing || !existing.isDirectory()) await mkdir(abs);
      await setOwner(abs, Number(st.uid), Number(st.gid), true, `/${rel}`);
      dirs.push({ abs, mode: Number(st.mode & 0o7777n), atime: new Date(Number(st.atimeNs / 1_000_000n)), mtime: new Date(Number(st.mtimeNs / 1_000_000n)) });
      if (c.xattrs && c.xattrs.size > 0) xattrs.push({ path: abs, xattrs: c.xattrs });
    } else {
      if (existing) await removePath(abs);
      if (st.isFile()) {
        try {
          await link(c.source, abs);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'EXDEV' && code !== 'EMLINK' && code !== 'EPERM') throw e;
          await copyFile(c.source, abs);
          await setOwner(abs, Number(st.uid), Number(st.gid), true, `/${rel}`);
          await chmod(abs, Number(st.mode & 0o7777n));
          await utimes(abs, new Date(Number(st.atimeNs / 1_000_000n)), new Date(Number(st.mtimeNs / 1_000_000n)));
          if (c.xattrs && c.xattrs.size > 0) xattrs.push({ path: abs, xattrs: c.xattrs });
        }
      } else if (st.isSymbolicLink()) {
        await symlink(await readlink(c.source), abs);
        await setOwner(abs, Number(st.uid), Number(st.gid), true, `/${rel}`);
        await lutimes(abs, new Date(Number(st.atimeNs / 1_000_000n)), new Date(Number(st.mtimeNs / 1_000_000n)));
      } else {
        await cpNode(c.source, abs);
      }
    }
    written.add(rel);
  }
  await writeXattrs(xattrs);
  for (const d of dirs.reverse()) {
    await chmod(d.abs, d.mode);
    await utimes(d.abs, d.atime, d.mtime);
  }
}
