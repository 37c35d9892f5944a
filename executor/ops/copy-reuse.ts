// Reuse of a COPY's previous result: when a file op is one COPY from a build context into a
// top-level directory its base does not have (`COPY . /ctx`), the copy is written straight into
// the new snapshot's upper directory, and each file whose content and resulting metadata equal
// those of the same path in the previous result of the same COPY is hard-linked from that
// (committed, hence immutable) result instead of copied. A one-file edit of a 20,000-file
// context then copies one file.
//
// What the previous result held is remembered in a memo per COPY (`<root>/copy-reuse/<key>.json`,
// keyed by the op's cache-map digest): its committed snapshot and, per target path, the entry
// digest (mode, owner, size, content: contenthash/record.ts) and mtime of the source file it was
// copied from, as verified against the op's own content key when copied. A file is linked only
// when the current source's verified digest and mtime equal the memo's AND the previous file's
// own mode, owner, size and mtime are those the copy would give; anything else (no memo, a
// removed snapshot, a missing or different file, a failed link) is copied as usual.
import { linkSync, lstatSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { TargetMeta } from '../fileop/index.ts';
import { readMemoFile, writeMemoFile } from './memo-file.ts';

const MEMO_VERSION = 1;

/** [entry digest of the source file, source mtime (ns, decimal)] */
export type MemoFile = [string, string];

export interface CopyMemo {
  v: typeof MEMO_VERSION;
  /** Committed snapshot holding the result. */
  snapshot: string;
  /** Target path (`/ctx/a.txt`) → what was copied there. */
  files: Record<string, MemoFile>;
}

function memoPath(root: string, key: string): string {
  return join(root, 'copy-reuse', `${key.replace(/^sha256:/, '')}.json`);
}

/** The memo of the COPY keyed `key`, or undefined when there is none (or it is unreadable). */
export async function readCopyMemo(root: string, key: string): Promise<CopyMemo | undefined> {
  return readMemoFile(memoPath(root, key), (json) => {
    const m = json as Partial<CopyMemo>;
    if (m.v !== MEMO_VERSION || typeof m.snapshot !== 'string' || typeof m.files !== 'object' || m.files === null) return undefined;
    return m as CopyMemo;
  });
}

/**
 * Replaces the memo atomically (a reader sees the old one or the new one), in the background:
 * the next read of it waits for the write, and `memoWrites()` for all of them.
 */
export function writeCopyMemo(root: string, key: string, memo: CopyMemo): void {
  writeMemoFile(memoPath(root, key), memo);
}

function seconds(ns: bigint): bigint {
  return ns / 1_000_000_000n;
}

/** Whether the previous file is exactly what copying a source with this stat would make. */
export function sameResult(prev: BigIntStats, st: BigIntStats, meta: TargetMeta): boolean {
  return (
    prev.isFile() &&
    prev.size === st.size &&
    Number(prev.uid) === meta.uid &&
    Number(prev.gid) === meta.gid &&
    Number(prev.mode & 0o7777n) === meta.mode &&
    // The layer tar keeps whole seconds.
    seconds(prev.mtimeNs) === BigInt(Math.floor(meta.mtime))
  );
}

export interface ReuseFile {
  /** Target path inside the new tree (`/ctx/a.txt`). */
  rel: string;
  target: string;
  st: BigIntStats;
  meta: TargetMeta;
  /** The source's entry digest as the op's content key covered it. */
  digest: string;
}

/**
 * Links `f.target` to the same path of the previous result when it is the same file; false
 * (nothing done) otherwise. `prevDir` is the previous result's own layer directory.
 */
export function linkFromPrevious(memo: CopyMemo, prevDir: string, f: ReuseFile): boolean {
  const was = memo.files[f.rel];
  if (was === undefined || was[0] !== f.digest || was[1] !== String(f.st.mtimeNs)) return false;
  const prev = join(prevDir, f.rel);
  try {
    // Synchronous: two metadata calls on cached inodes cost less than two promise round trips,
    // and a 20,000-file context makes 20,000 of them.
    if (!sameResult(lstatSync(prev, { bigint: true }), f.st, f.meta)) return false;
    linkSync(prev, f.target);
    return true;
  } catch {
    // Gone (pruned meanwhile), too many links, another filesystem: copy it.
    return false;
  }
}
