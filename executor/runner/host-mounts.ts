// Mounts made on the host for a run (an overlay rootfs), and finding the ones a crash left behind
// (oci's mountFs/unmountFs: the syscalls, or mount(8)/umount(8) without the native module).
import { readFile } from 'node:fs/promises';
import { mountFs, ToolError, unmountFs } from '../../oci/index.ts';
import type { OverlayRootfs } from './types.ts';

export async function mountOverlay(spec: OverlayRootfs, target: string): Promise<void> {
  if (spec.lowerdirs.length === 0) throw new Error('an overlay rootfs needs at least one lower directory');
  for (const d of [...spec.lowerdirs, spec.upperdir, spec.workdir]) {
    if (/[,:]/.test(d)) throw new Error(`overlay directory ${d} contains ',' or ':', which overlayfs options cannot express`);
  }
  const options = `lowerdir=${spec.lowerdirs.join(':')},upperdir=${spec.upperdir},workdir=${spec.workdir}`;
  try {
    await mountFs(target, 'overlay', options);
  } catch (e) {
    throw new Error(`mounting the overlay rootfs failed: ${e instanceof ToolError ? e.detail : (e as Error).message}`, { cause: e });
  }
}

/** Unmounts `target`; lazily when it is still busy so a stuck process cannot block cleanup. */
export async function unmount(target: string): Promise<void> {
  await unmountFs(target).catch(() => unmountFs(target, true).catch(() => undefined));
}

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMountinfo)
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
