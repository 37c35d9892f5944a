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
// copied from, as verified against the op's own content key when copied, and the owner, mode and
// time the copy gave the file. A file is linked only when the current source's verified digest
// and mtime equal the memo's AND the copy would give it the owner, mode and time the previous
// file was given; anything else (no memo, a removed snapshot, a missing file, a failed link) is
// copied as usual. The previous file itself is not stat'ed: a committed snapshot does not change,
// and a 2,000-file rebuild in watch mode would spend 15–20 ms on it.
import { linkSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { TargetMeta } from '../fileop/index.ts';
import { readMemoFile, writeMemoFile } from './memo-file.ts';

const MEMO_VERSION = 2;

/** [entry digest of the source file, source mtime (ns, decimal), the copy's owner, mode and time (metaKey)] */
export type MemoFile = [string, string, string];

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

/** The owner, mode and time (whole seconds, as the layer tar keeps them) a copy gives a file. */
export function metaKey(meta: TargetMeta): string {
  return `${meta.uid}:${meta.gid}:${meta.mode}:${Math.floor(meta.mtime)}`;
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
  if (was === undefined || was[0] !== f.digest || was[1] !== String(f.st.mtimeNs) || was[2] !== metaKey(f.meta)) return false;
  try {
    // Synchronous: one call on a cached inode costs less than a promise round trip, and a
    // 20,000-file context makes 20,000 of them.
    linkSync(join(prevDir, f.rel), f.target);
    return true;
  } catch {
    // Gone (pruned meanwhile), too many links, another filesystem: copy it.
    return false;
  }
}
