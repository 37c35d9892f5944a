// The runtime creates a missing mount destination (and its missing parents) in the rootfs as an
// empty file or directory. Those stubs are not the process's doing and must not end up in a
// layer, so we note which paths were missing before the run and remove the ones still empty after.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot } from './root-path.ts';

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
