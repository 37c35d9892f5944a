// The copy memos (copy-reuse.ts, copy-layer.ts) are JSON files of one entry per copied file: a
// 20,000-file context makes a 3 MB memo, about 50 ms to parse and 50 ms to write.
// - A build server or a watch session reads back, build after build, the memo it wrote itself,
//   so the value it wrote is kept in memory with the identity of the file it went into (inode,
//   size, modification time, which a rename keeps): a read whose file still has that identity
//   takes the value without parsing anything. A memo replaced by another process is another
//   file, read from disk.
// - A memo is a hint for the next build, so it is written while this build goes on (its export,
//   say). A read of a memo waits for this process's write of it; the executor's close waits for
//   every write (memoWrites).
//
// A kept value is shared by every reader: nobody changes it.
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Memos kept per process: the most recently used ones. */
const KEEP = 8;

interface Kept {
  identity: string;
  value: unknown;
}

const kept = new Map<string, Kept>();
/** Writes under way, by path. */
const writing = new Map<string, Promise<void>>();

function identityOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
}

function keep(path: string, identity: string, value: unknown): void {
  kept.delete(path);
  kept.set(path, { identity, value });
  for (const oldest of kept.keys()) {
    if (kept.size <= KEEP) break;
    kept.delete(oldest);
  }
}

/**
 * The memo at `path` as `decode` makes it from the parsed JSON (undefined: not a memo of this
 * version), or as it was kept when this process wrote or read that very file. Undefined when
 * there is no such file or it cannot be read.
 */
export async function readMemoFile<T>(path: string, decode: (json: unknown) => T | undefined): Promise<T | undefined> {
  await writing.get(path);
  let identity: string;
  try {
    identity = identityOf(await stat(path, { bigint: true }));
  } catch {
    kept.delete(path);
    return undefined;
  }
  const k = kept.get(path);
  if (k?.identity === identity) {
    keep(path, identity, k.value);
    return k.value as T;
  }
  let value: T | undefined;
  try {
    value = decode(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
  // Kept only if the file read is still the one stat'ed: a rename in between leaves it unkept.
  const after = await stat(path, { bigint: true }).catch(() => undefined);
  if (value !== undefined && after && identityOf(after) === identity) keep(path, identity, value);
  return value;
}

/**
 * Starts replacing the memo at `path` atomically with `value` (a reader sees the old one or the
 * new one) and keeps `value` as what reading it back gives. A failed write leaves the old memo.
 */
export function writeMemoFile(path: string, value: unknown): void {
  kept.delete(path);
  const previous = writing.get(path);
  const done = (async () => {
    await previous;
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(value));
      const identity = identityOf(await stat(tmp, { bigint: true }));
      await rename(tmp, path);
      keep(path, identity, value);
    } catch {
      await rm(tmp, { force: true });
    }
  })().catch(() => {});
  writing.set(path, done);
  void done.finally(() => {
    if (writing.get(path) === done) writing.delete(path);
  });
}

/** Settles when every memo write this process started has ended. */
export async function memoWrites(): Promise<void> {
  while (writing.size > 0) await Promise.all(writing.values());
}
