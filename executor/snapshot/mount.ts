// Overlay mounts, plus the overlay support probe: mount(2)/umount2(2) through the native module
// (oci's sys), or mount(8)/umount(8) without it.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AsyncMemo } from '../../llb/index.ts';
import { MNT_DETACH, nativeSys, runTool, ToolError } from '../../oci/index.ts';
import { SnapshotError } from './types.ts';

/** The kernel takes at most a page of mount options. */
const MAX_OPTIONS = 4000;

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  await runTool(cmd, args, cwd ? { cwd } : {}).catch((e: unknown) => {
    throw e instanceof ToolError ? new SnapshotError(e.message) : e;
  });
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
  if (data.length > MAX_OPTIONS) throw new SnapshotError(`overlay mount options too long (${o.lowers.length} layers); merge fewer layers`);
  const sys = nativeSys();
  // The syscall has no working directory of its own: the paths go absolute while they fit a page.
  const cwd = o.cwd;
  const absolute = sys && cwd ? absoluteOptions(o, cwd) : data;
  if (sys && absolute.length <= MAX_OPTIONS) {
    await sys.mount('overlay', resolve(target), 'overlay', 0, absolute).catch((e: Error) => {
      throw new SnapshotError(`mounting an overlay on ${target} failed: ${e.message}`);
    });
    return;
  }
  await run('mount', ['-t', 'overlay', 'overlay', '-o', data, target], o.cwd);
}

function absoluteOptions(o: { lowers: string[]; upper?: string; work?: string; readonly?: boolean }, cwd: string): string {
  const opts = [`lowerdir=${o.lowers.map((l) => resolve(cwd, l)).join(':')}`];
  if (o.upper && o.work) opts.push(`upperdir=${resolve(cwd, o.upper)}`, `workdir=${resolve(cwd, o.work)}`);
  if (o.readonly) opts.push('ro');
  return opts.join(',');
}

export async function unmount(target: string): Promise<void> {
  const sys = nativeSys();
  const once = sys ? () => sys.umount(target, 0) : () => run('umount', [target]);
  const lazily = sys ? () => sys.umount(target, MNT_DETACH) : () => run('umount', ['-l', target]);
  await once().catch(async (e: unknown) => {
    if (!(await isMountPoint(target))) return;
    await lazily().catch(() => {
      throw e instanceof ToolError || !sys ? e : new SnapshotError(`unmounting ${target} failed: ${(e as Error).message}`);
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
