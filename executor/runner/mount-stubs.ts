// The runtime creates a missing mount destination (and its missing parents) in the rootfs as an
// empty file or directory. Those stubs are not the process's doing and must not end up in a
// layer, so we note which paths were missing before the run and remove the ones still empty after.
// When the runtime mounts the overlay root itself, there is no merged view on the host: the stubs
// are found afterwards in the upper dir, as paths that no lower dir has.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { resolveInRoot } from './root-path.ts';
import type { OverlayRootfs } from './types.ts';

/** For each destination, the topmost path component that does not exist yet in `rootfs`. */
export async function missingMountPaths(rootfs: string, destinations: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const dest of destinations) {
    let current = '/';
    for (const part of dest.split('/').filter(Boolean)) {
      current = posix.join(current, part);
      try {
        await lstat(await resolveInRoot(rootfs, current));
      } catch {
        out.add(current);
        break;
      }
    }
  }
  return [...out];
}

/** Removes stubs that are still empty; anything the process put there is kept. */
export async function removeMountStubs(rootfs: string, paths: readonly string[]): Promise<void> {
  for (const p of paths) await removeIfEmpty(await resolveInRoot(rootfs, p));
}

async function removeIfEmpty(hostPath: string): Promise<boolean> {
  let st;
  try {
    st = await lstat(hostPath);
  } catch {
    return true;
  }
  if (st.isDirectory()) {
    let empty = true;
    for (const name of await readdir(hostPath)) {
      if (!(await removeIfEmpty(posix.join(hostPath, name)))) empty = false;
    }
    if (!empty) return false;
    await rmdir(hostPath).catch(() => undefined);
    return true;
  }
  if (st.isFile() && st.size === 0) {
    await unlink(hostPath).catch(() => undefined);
    return true;
  }
  return false;
}

/**
 * After a run on a runtime-mounted overlay: removes, for each destination, the topmost component
 * that exists only in the upper dir, when it is still empty. A path reached through a symlink in
 * the upper dir is left alone (it could lead anywhere); a whiteout in a lower dir means absent.
 */
export async function removeUpperStubs(overlay: OverlayRootfs, destinations: readonly string[]): Promise<void> {
  const created = new Set<string>();
  for (const dest of destinations) {
    let current = '';
    for (const part of dest.split('/').filter(Boolean)) {
      current = `${current}/${part}`;
      const upper = await lstat(join(overlay.upperdir, current)).catch(() => undefined);
      if (upper?.isSymbolicLink()) break;
      if (await inLowers(overlay.lowerdirs, current)) continue;
      if (upper) created.add(current);
      break;
    }
  }
  for (const p of created) await removeIfEmpty(join(overlay.upperdir, p));
}

async function inLowers(lowerdirs: readonly string[], path: string): Promise<boolean> {
  for (const dir of lowerdirs) {
    const st = await lstat(join(dir, path)).catch(() => undefined);
    if (st) return !(st.isCharacterDevice() && st.rdev === 0);
  }
  return false;
}
