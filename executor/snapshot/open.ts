// Picks and opens the snapshotter: overlayfs when running as root on a kernel and filesystem
// that allow overlay mounts (and getfattr/setfattr exist to read opaque markers), the copying
// native one otherwise. TSBUILD_SNAPSHOTTER=overlayfs|native (or the option) overrides.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { xattrToolsAvailable } from './layer-format.ts';
import { probeOverlay } from './mount.ts';
import { overlayKnownToWork, rememberOverlayWorks } from './overlay-verdict.ts';
import { SnapshotTree, type SnapshotTreeOptions } from './snapshot-tree.ts';
import { SnapshotError, type SnapshotterName } from './types.ts';

export interface OpenSnapshotterOptions extends SnapshotTreeOptions {
  /** $TSBUILD_ROOT; snapshots live in `<root>/snapshots/<snapshotter>/`. */
  root: string;
  snapshotter?: SnapshotterName | 'auto';
}

/** Why overlayfs cannot be used here, or null when it can. */
export async function overlayUnavailable(root: string): Promise<string | null> {
  const dir = join(root, 'snapshots');
  await mkdir(dir, { recursive: true });
  if (!xattrToolsAvailable()) return 'getfattr/setfattr not found (install the "attr" package)';
  if (process.getuid?.() !== 0) return 'not running as root';
  if (await overlayKnownToWork(dir)) return null;
  const why = await probeOverlay(dir);
  if (why) return why;
  await rememberOverlayWorks(dir);
  return null;
}

export async function openSnapshotter(opts: OpenSnapshotterOptions): Promise<SnapshotTree> {
  const fromEnv = process.env.TSBUILD_SNAPSHOTTER;
  const wanted = opts.snapshotter ?? (fromEnv === 'overlayfs' || fromEnv === 'native' ? fromEnv : 'auto');
  if (fromEnv && fromEnv !== 'overlayfs' && fromEnv !== 'native' && fromEnv !== 'auto') {
    throw new SnapshotError(`TSBUILD_SNAPSHOTTER=${fromEnv} is not a snapshotter: use overlayfs, native or auto`);
  }
  let name: SnapshotterName;
  if (wanted === 'auto') name = (await overlayUnavailable(opts.root)) === null ? 'overlayfs' : 'native';
  else {
    if (wanted === 'overlayfs') {
      const why = await overlayUnavailable(opts.root);
      if (why) throw new SnapshotError(`the overlayfs snapshotter cannot be used here: ${why}. Use TSBUILD_SNAPSHOTTER=native`);
    }
    name = wanted;
  }
  return SnapshotTree.open(name, join(opts.root, 'snapshots', name), opts);
}
