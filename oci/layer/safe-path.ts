// Path resolution confined to a root directory, as if the root were `/` (chroot-style): member
// names, hardlink targets and whiteout targets can never name anything outside the root.
import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export class UnsafeLayerError extends Error {
  override name = 'UnsafeLayerError';
}

const MAX_SYMLINK_HOPS = 64;

/**
 * Lexically cleans a member name into components: drops `/`, `.` and empty parts and resolves
 * `..` against earlier components. A name that climbs above the root is refused rather than
 * clamped: no legitimate layer contains one.
 */
export function memberParts(name: string, what = 'entry'): string[] {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new UnsafeLayerError(`layer ${what} ${JSON.stringify(name)} points outside the root ("..")`);
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

export interface ResolveResult {
  /** Real path components under the root: no symlinks, every one a directory. */
  parts: string[];
  /** Directories that were created on the way (relative paths). */
  created: string[];
}

/**
 * Resolves directory components under `root`, following symlinks chroot-style (an absolute
 * target restarts at the root, `..` stops at the root). Missing directories are created
 * (mode 0755) when `create` is set; otherwise a missing component gives null. A component that
 * exists but is not a directory is an error.
 */
export function resolveDir(root: string, parts: readonly string[], create: boolean): ResolveResult | null {
  const resolved: string[] = [];
  const created: string[] = [];
  const queue = [...parts];
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      resolved.pop();
      continue;
    }
    const rel = [...resolved, c].join('/');
    const abs = join(root, rel);
    // Synchronous on purpose: these are cached metadata lookups, cheaper than a thread-pool hop.
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st === undefined) {
      if (!create) return null;
      mkdirSync(abs, { mode: 0o755 });
      created.push(rel);
      resolved.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw new UnsafeLayerError(`too many levels of symbolic links resolving ${JSON.stringify(parts.join('/'))}`);
      const target = readlinkSync(abs);
      if (target.startsWith('/')) resolved.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) {
      throw new UnsafeLayerError(`cannot use ${JSON.stringify(rel)} as a directory: it is not one (while resolving ${JSON.stringify(parts.join('/'))})`);
    }
    resolved.push(c);
  }
  return { parts: resolved, created };
}

/** True when every ancestor of `rel` under `root` is a real directory (no symlink). */
export function ancestorsAreDirs(root: string, rel: string): boolean {
  const parts = rel.split('/');
  let cur = root;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = join(cur, parts[i]!);
    if (!lstatSync(cur, { throwIfNoEntry: false })?.isDirectory()) return false;
  }
  return true;
}
