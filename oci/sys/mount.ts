// Mounting and unmounting one filesystem: mount(2)/umount2(2) through the native module when it
// is there, mount(8)/umount(8) otherwise. Callers keep their own policy (when to unmount lazily,
// how to word a failure); which of the two ways runs is decided here only. A failure rejects with
// the syscall's errno-coded Error or the tool's ToolError.
import { runTool } from '../tool.ts';
import { MNT_DETACH, nativeSys } from './index.ts';

/** The kernel takes at most a page of mount options. */
export const MAX_MOUNT_OPTIONS = 4000;

/**
 * Mounts `fstype` on `target` with `options`. Paths in `options` may be relative to `cwd` (kept
 * short for mount(8)); `absolute` is the same options with absolute paths, for the syscall, which
 * has no working directory of its own. Options longer than a page go to mount(8), which says so.
 */
export async function mountFs(target: string, fstype: string, options: string, how: { cwd?: string; absolute?: string } = {}): Promise<void> {
  const data = how.absolute ?? options;
  const sys = data.length <= MAX_MOUNT_OPTIONS ? nativeSys() : undefined;
  if (sys) return sys.mount(fstype, target, fstype, 0, data);
  await runTool('mount', ['-t', fstype, fstype, '-o', options, target], how.cwd ? { cwd: how.cwd } : {});
}

/** Unmounts `target`; `lazy` detaches it even while it is busy. */
export async function unmountFs(target: string, lazy = false): Promise<void> {
  const sys = nativeSys();
  if (sys) return sys.umount(target, lazy ? MNT_DETACH : 0);
  await runTool('umount', lazy ? ['-l', target] : [target]);
}
