// Small file-metadata steps shared by the actions: timestamps from LLB's int64 nanoseconds,
// chown/chmod/utimes in the order that keeps setuid bits (chown clears them), and mkdir -p.
import { chmod, chown, lchown, lutimes, mkdir, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Owner } from './owner.ts';

/**
 * LLB timestamps are unix nanoseconds (a bigint when beyond 2^53), -1 meaning "leave the time
 * alone". Node sets times from float seconds, which keeps them to about a microsecond.
 */
export function timestampSeconds(ns: number | bigint | undefined): number | undefined {
  if (typeof ns === 'bigint') return ns === -1n ? undefined : Number(ns / 1000n) / 1e6;
  const v = ns ?? 0;
  return v === -1 ? undefined : v / 1e9;
}

const privileged = process.getuid?.() === 0;

/**
 * chown (lchown for a link). Without root, a file can only be given away where the system allows
 * it; the tree then keeps the builder's own ids, which is what an unprivileged build can store.
 * As root a failure is an error that names the path (`shown`, else the host path) and the owner:
 * a file must never change owner in an image without a trace.
 */
export async function setOwner(host: string, uid: number, gid: number, link = false, shown?: string): Promise<void> {
  try {
    await (link ? lchown(host, uid, gid) : chown(host, uid, gid));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!privileged && (code === 'EPERM' || code === 'EINVAL')) return;
    const why = code === 'EINVAL' ? 'the owner is not mapped in this user namespace' : (err as Error).message;
    throw new Error(`cannot give ${shown ?? host} the owner ${uid}:${gid}: ${why}`, { cause: err });
  }
}

/** Sets owner, mode and time of a created path; undefined parts are left as they are. */
export async function applyMeta(
  host: string,
  meta: { owner?: Owner | undefined; mode?: number | undefined; time?: number | undefined; symlink?: boolean },
): Promise<void> {
  if (meta.symlink) {
    if (meta.owner) await setOwner(host, meta.owner.uid, meta.owner.gid, true);
    if (meta.time !== undefined) await lutimes(host, meta.time, meta.time);
    return;
  }
  if (meta.owner) await setOwner(host, meta.owner.uid, meta.owner.gid);
  if (meta.mode !== undefined) await chmod(host, meta.mode);
  if (meta.time !== undefined) await utimes(host, meta.time, meta.time);
}

/**
 * mkdir -p of a host path whose existing part is already resolved inside its root (so no
 * component followed here is a symlink). Each directory it creates gets `mode` exactly (no umask),
 * `owner` and `time`. Returns the created directories, outermost first.
 */
export async function mkdirAll(host: string, mode: number, owner?: Owner, time?: number): Promise<string[]> {
  const missing: string[] = [];
  let p = host;
  for (;;) {
    try {
      const st = await stat(p);
      if (!st.isDirectory()) {
        const err: NodeJS.ErrnoException = new Error(`not a directory: ${p}`);
        err.code = 'ENOTDIR';
        err.path = p;
        throw err;
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  missing.reverse();
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      continue;
    }
    await applyMeta(dir, { owner, mode, time });
  }
  return missing;
}
