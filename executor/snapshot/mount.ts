// Overlay mounts of snapshots, plus the overlay support probe (oci's mountFs/unmountFs: the
// syscalls, or mount(8)/umount(8) without the native module).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AsyncMemo } from '../../llb/index.ts';
import { MAX_MOUNT_OPTIONS, mountFs, ToolError, unmountFs } from '../../oci/index.ts';
import { SnapshotError } from './types.ts';

/** A failure as a SnapshotError: a tool's says its command line, a syscall's what it did. */
function failed(what: string, e: unknown): SnapshotError {
  return new SnapshotError(e instanceof ToolError ? e.message : `${what} failed: ${(e as Error).message}`);
}

/**
 * Mounts an overlay. `lowers` are top first. Paths are passed relative to `cwd` when given,
 * which keeps long chains under the one-page limit of mount options.
 */
export async function mountOverlay(target: string, o: { lowers: string[]; upper?: string; work?: string; readonly?: boolean; cwd?: string }): Promise<void> {
  const opts = [`lowerdir=${o.lowers.join(':')}`];
  if (o.upper && o.work) opts.push(`upperdir=${o.upper}`, `workdir=${o.work}`);
  if (o.readonly) opts.push('ro');
  const data = opts.join(',');
  if (data.length > MAX_MOUNT_OPTIONS) throw new SnapshotError(`overlay mount options too long (${o.lowers.length} layers); merge fewer layers`);
  const how = o.cwd ? { cwd: o.cwd, absolute: absoluteOptions(o, o.cwd) } : {};
  await mountFs(resolve(target), 'overlay', data, how).catch((e: unknown) => {
    throw failed(`mounting an overlay on ${target}`, e);
  });
}

function absoluteOptions(o: { lowers: string[]; upper?: string; work?: string; readonly?: boolean }, cwd: string): string {
  const opts = [`lowerdir=${o.lowers.map((l) => resolve(cwd, l)).join(':')}`];
  if (o.upper && o.work) opts.push(`upperdir=${resolve(cwd, o.upper)}`, `workdir=${resolve(cwd, o.work)}`);
  if (o.readonly) opts.push('ro');
  return opts.join(',');
}

export async function unmount(target: string): Promise<void> {
  await unmountFs(target).catch(async (e: unknown) => {
    if (!(await isMountPoint(target))) return;
    await unmountFs(target, true).catch(() => {
      throw failed(`unmounting ${target}`, e);
    });
  });
}

/** Mount points at or below `prefix`, deepest first. */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const mp = f[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp && (mp === prefix || mp.startsWith(prefix + '/'))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

export async function isMountPoint(p: string): Promise<boolean> {
  return (await mountsUnder(p)).includes(p);
}

// Keyed by directory: the answer depends on the filesystem under it.
const overlayProbes = new AsyncMemo<string, string | null>();

/** null when overlay mounts work under `dir` (as root); otherwise why not. Probed once per process and directory. */
export function probeOverlay(dir: string): Promise<string | null> {
  return overlayProbes.get(dir, async () => {
    if (process.getuid?.() !== 0) return 'not running as root';
    const p = join(dir, `.probe-${process.pid}`);
    try {
      await rm(p, { recursive: true, force: true });
      for (const d of ['l1', 'l2', 'u', 'w', 'm']) await mkdir(join(p, d), { recursive: true });
      await writeFile(join(p, 'l1', 'f'), 'x');
      await mountOverlay(join(p, 'm'), { lowers: ['l2', 'l1'], upper: 'u', work: 'w', cwd: p });
      await unmount(join(p, 'm'));
      return null;
    } catch (e) {
      return (e as Error).message;
    } finally {
      await rm(p, { recursive: true, force: true }).catch(() => {});
    }
  });
}
