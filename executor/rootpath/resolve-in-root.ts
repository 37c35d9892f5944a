// Paths inside a root filesystem (a snapshot, a rootfs, a context), resolved on the host the way a
// process chrooted there would see them; file ops, content hashing and the runner share it. Symlinks are followed inside the root: an absolute target restarts at the root, and
// `..` never climbs above it, so no path given to a file action can reach outside its tree.
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export class RootPathError extends Error {
  override name = 'RootPathError';
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** Linux's own limit on symlinks followed while resolving one path. */
const MAX_LINKS = 40;

export interface ResolveOptions {
  /** Follow a symlink in the last component too (default true). Off for rm, symlink, lstat. */
  followFinal?: boolean;
}

/**
 * Host path of `path` (absolute or relative: both are taken from the root) inside `root`.
 * Components that do not exist are kept as written, so the result can be created afterwards.
 */
export async function resolveInRoot(root: string, path: string, options: ResolveOptions = {}): Promise<string> {
  const followFinal = options.followFinal ?? true;
  const pending = splitPath(path);
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      done.pop();
      continue;
    }
    // Below a component that does not exist nothing can be a symlink: the rest is lexical.
    if (missing || (pending.length === 0 && !followFinal)) {
      done.push(name);
      continue;
    }
    const host = join(root, ...done, name);
    let isLink: boolean;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      missing = true;
      done.push(name);
      continue;
    }
    if (!isLink) {
      done.push(name);
      continue;
    }
    if (++links > MAX_LINKS) throw new RootPathError(path, `too many levels of symbolic links resolving "${path}"`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...splitPath(target));
  }
  return done.length === 0 ? root : join(root, ...done);
}

/** `root`'s view of a host path under it: `/`-rooted, for messages and pattern matching. */
export function pathInRoot(root: string, host: string): string {
  if (host === root) return '/';
  if (host.startsWith(root + '/')) return host.slice(root.length);
  return host;
}

/** Like resolveInRoot, but undefined when the resolved path does not exist. */
export async function resolveExisting(root: string, path: string, options: ResolveOptions = {}): Promise<string | undefined> {
  const host = await resolveInRoot(root, path, options);
  try {
    await lstat(host);
    return host;
  } catch {
    return undefined;
  }
}

export function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}
