// Overlayfs hides whiteout devices only in a *merged* directory (one that more than one layer of
// the mount holds). In a directory only one layer holds, it lists the directory as it is on disk,
// whiteouts included, and then `lstat` of such a name fails with ENOENT; a container's `ls` shows
// it as `c?????????`. That happens whenever a layer's whiteout has nothing below it in the stack:
// a base image's bottom layer that whites out a path (valid: a no-op), a computed diff mounted on
// its own, a layer restacked by a merge or a reused diff.
//
// The fix is per layer and done once: `<dir>/whiteout-dirs` holds, as empty directories, every
// directory of the layer that contains a whiteout device (and their ancestors). Mounted right
// below its layer, it makes exactly those directories merged, so the kernel filters their
// whiteouts; empty and below the layer, it adds no entry and no metadata of its own.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const WHITEOUT_DIRS = 'whiteout-dirs';

/** Relative directories of `layer` holding a whiteout device (char 0/0). */
async function dirsWithWhiteouts(layer: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '' ? layer : join(layer, rel);
    let found = false;
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await visit(child);
      else if (!found && e.isCharacterDevice() && (await lstat(join(layer, child))).rdev === 0) found = true;
    }
    if (found && rel !== '') out.push(rel);
  };
  await visit('');
  return out;
}

const known = new Map<string, Promise<boolean>>();

/**
 * Makes `<layerDir>/whiteout-dirs` once (kept beside the layer: the layer never changes) and
 * says whether it has anything to mount. A root whiteout needs nothing: the root is always merged
 * (the bottom of every read-only mount is the empty dir; an active mount has its upper dir).
 */
export function whiteoutDirs(layerDir: string, fs: string): Promise<boolean> {
  let p = known.get(layerDir);
  if (!p) {
    p = (async () => {
      const final = join(layerDir, WHITEOUT_DIRS);
      const existing = await readdir(final).catch(() => undefined);
      if (existing) return existing.length > 0;
      const dirs = await dirsWithWhiteouts(fs);
      // Built aside and renamed: another process may build the same one at the same time.
      const tmp = join(layerDir, `.${WHITEOUT_DIRS}-${process.pid}-${randomBytes(4).toString('hex')}`);
      await mkdir(tmp);
      for (const d of dirs) await mkdir(join(tmp, d), { recursive: true });
      await rename(tmp, final).catch(async (e: NodeJS.ErrnoException) => {
        await rm(tmp, { recursive: true, force: true });
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
      return dirs.length > 0;
    })();
    known.set(layerDir, p);
    p.catch(() => known.delete(layerDir));
  }
  return p;
}
