// The change list that sits between a filesystem and a layer tar. Diffs produce it (from an
// overlay upper dir or from walking two trees); the layer writer consumes it.
import type { BigIntStats } from 'node:fs';
import type { Xattrs } from './xattrs.ts';

export type Change =
  /** `path` was deleted: written as `.wh.<name>`. */
  | { kind: 'delete'; path: string }
  /** The directory `path` hides everything below it: written as `<path>/.wh..wh..opq`. */
  | { kind: 'opaque'; path: string }
  /** `path` was added or changed; its metadata and content are read from `source`. */
  | {
      kind: 'entry';
      path: string;
      source: string;
      stat?: BigIntStats;
      xattrs?: Xattrs;
      /**
       * The stat `source` must still have when its bytes are read (a file hashed earlier, whose
       * content must be the one its digest covered); another one fails the write.
       */
      verify?: BigIntStats;
      /**
       * The owner, permission bits and mtime (whole seconds) the entry is written with instead
       * of `stat`'s: those a copy of `source` would have. Such an entry is a file of its own,
       * never a hard link to another.
       */
      written?: WrittenMeta;
    }
  /**
   * `path`'s whole tar entry (headers, content, padding) exactly as `length` bytes of `file` at
   * `offset` hold it: an entry of an earlier layer tar that has not changed (a regular file of
   * `size` content bytes).
   */
  | { kind: 'bytes'; path: string; file: string; offset: number; length: number; size: number };

export interface WrittenMeta {
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * Tree order for layer paths: a directory's children right after it, siblings by name, so a
 * layer can be applied in one pass and two equal trees give equal tars.
 */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Sorts a change list into tree order; an opaque marker follows its directory's own entry. */
export function sortChanges(changes: readonly Change[]): Change[] {
  const rank = (c: Change): number => (c.kind === 'opaque' ? 1 : 0);
  return [...changes].sort((a, b) => comparePaths(a.path, b.path) || rank(a) - rank(b));
}

/** Normalises a user-supplied layer path: no leading `/` or `./`, no trailing `/`. */
export function cleanLayerPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new Error(`layer path ${JSON.stringify(p)} contains ".."`);
    parts.push(part);
  }
  return parts.join('/');
}
