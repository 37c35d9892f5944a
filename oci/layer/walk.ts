// Depth-first walk of a directory tree in layer order (see comparePaths), with lstat results.
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Change } from './changes.ts';
import { readXattrTree, type Xattrs } from './xattrs.ts';

export interface WalkEntry {
  /** Path relative to the walked root, `/`-separated, never empty. */
  path: string;
  abs: string;
  stat: BigIntStats;
}

export async function listSorted(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.sort();
}

/** Yields every path under `root` (not the root itself); directories before their children. */
export async function* walkTree(root: string, rel = ''): AsyncGenerator<WalkEntry> {
  const dir = rel === '' ? root : join(root, rel);
  // One directory at a time, synchronously: a cached lstat costs microseconds, a thread-pool
  // round trip costs more than the call, and a directory's batch blocks the loop only briefly.
  const names = readdirSync(dir).sort();
  const stats = names.map((n) => lstatSync(join(dir, n), { bigint: true }));
  for (let i = 0; i < names.length; i++) {
    const path = rel === '' ? names[i]! : `${rel}/${names[i]!}`;
    const stat = stats[i]!;
    yield { path, abs: join(root, path), stat };
    if (stat.isDirectory()) yield* walkTree(root, path);
  }
}

/** The changes that recreate a whole tree on an empty root (a base layer). */
export async function* treeAsChanges(root: string, opts: { xattrs?: boolean } = {}): AsyncGenerator<Change> {
  const xattrs = opts.xattrs === false ? new Map<string, Xattrs>() : await readXattrTree(root);
  for await (const e of walkTree(root)) yield { kind: 'entry', path: e.path, source: e.abs, stat: e.stat, xattrs: xattrs.get(e.abs) };
}
