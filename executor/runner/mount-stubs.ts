// The runtime creates a missing mount destination (and its missing parents) in the rootfs as an
// empty file or directory. Those stubs are not the process's doing and must not end up in a
// layer, so we note which paths were missing before the run and remove the ones still empty after.
// When the runtime mounts the overlay root itself, there is no merged view on the host: the stubs
// are found afterwards in the upper dir, as paths that no lower dir has.
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { resolveInRoot } from './root-path.ts';
import { isWhiteout, lookupInLayers } from '../rootpath/index.ts';
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
 * Before a run on a runtime-mounted overlay: for each destination, the topmost component the
 * lower layers do not show (the stub the runtime will create). Undefined when a link on the way
 * makes the place unknown: then the overlay must be mounted on the host instead. An entry an
 * opaque directory above might hide counts as there (at worst an empty stub stays in the layer).
 */
export async function overlayStubs(overlay: OverlayRootfs, destinations: readonly string[]): Promise<string[] | undefined> {
  const out = new Set<string>();
  for (const dest of destinations) {
    const parts = dest.split('/').filter((p) => p !== '');
    const entry = await lookupInLayers(overlay.lowerdirs, parts.join('/'));
    if (entry.kind === 'unsure') return undefined;
    if (entry.kind === 'absent') out.add(parts.slice(0, entry.ancestors.length + 1).join('/'));
    else if (isWhiteout(entry.st)) out.add(parts.join('/'));
  }
  return [...out];
}

/**
 * After the run: removes the stubs still empty in the upper dir. A path reached through a
 * symlink in the upper dir is left alone (it could lead anywhere).
 */
export async function removeUpperStubs(upperdir: string, stubs: readonly string[]): Promise<void> {
  for (const stub of stubs) {
    let path = upperdir;
    let plain = true;
    for (const part of stub.split('/')) {
      path = join(path, part);
      const st = await lstat(path).catch(() => undefined);
      if (!st || st.isSymbolicLink()) {
        plain = false;
        break;
      }
    }
    if (plain) await removeIfEmpty(path);
  }
}
