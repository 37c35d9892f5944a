// linkFromPrevious: a file is linked from the previous result only when the memo's digest and
// mtime match the source and the memo says the previous copy gave it the metadata this copy would.
import { lstat, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { linkFromPrevious, metaKey, readCopyMemo, writeCopyMemo, type CopyMemo } from '../../../executor/ops/copy-reuse.ts';
import type { TargetMeta } from '../../../executor/fileop/index.ts';

const DIGEST = 'sha256:' + 'a'.repeat(64);

describe('linkFromPrevious', () => {
  let dir: string;
  let prevDir: string;
  let newDir: string;
  let src: BigIntStats;
  let meta: TargetMeta;
  let memo: CopyMemo;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-copyreuse-'));
    prevDir = join(dir, 'prev');
    newDir = join(dir, 'new');
    await mkdir(join(prevDir, 'ctx'), { recursive: true });
    await mkdir(join(newDir, 'ctx'), { recursive: true });
    await writeFile(join(dir, 'src.txt'), 'data');
    await utimes(join(dir, 'src.txt'), 1_700_000_000, 1_700_000_000);
    src = await lstat(join(dir, 'src.txt'), { bigint: true });
    // What an earlier copy made of it.
    await writeFile(join(prevDir, 'ctx', 'f.txt'), 'data', { mode: 0o644 });
    await utimes(join(prevDir, 'ctx', 'f.txt'), 1_700_000_000, 1_700_000_000);
    const prev = await lstat(join(prevDir, 'ctx', 'f.txt'));
    meta = { uid: prev.uid, gid: prev.gid, mode: prev.mode & 0o7777, mtime: 1_700_000_000 };
    memo = { v: 2, snapshot: 'committed-x', files: { '/ctx/f.txt': [DIGEST, String(src.mtimeNs), metaKey(meta)] } };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const place = (m: CopyMemo, over: Partial<{ digest: string; meta: TargetMeta; prevDir: string }> = {}) =>
    linkFromPrevious(m, over.prevDir ?? prevDir, {
      rel: '/ctx/f.txt',
      target: join(newDir, 'ctx', 'f.txt'),
      st: src,
      meta: over.meta ?? meta,
      digest: over.digest ?? DIGEST,
    });

  test('links the same file', async () => {
    expect(place(memo)).toBe(true);
    const [a, b] = await Promise.all([lstat(join(prevDir, 'ctx', 'f.txt')), lstat(join(newDir, 'ctx', 'f.txt'))]);
    expect(b.ino).toBe(a.ino);
    expect(await readFile(join(prevDir, 'ctx', 'f.txt'), 'utf8')).toBe('data');
  });

  test('another content digest or source mtime is copied', () => {
    expect(place(memo, { digest: 'sha256:' + 'b'.repeat(64) })).toBe(false);
    expect(place({ ...memo, files: { '/ctx/f.txt': [DIGEST, String(src.mtimeNs + 1n), metaKey(meta)] } })).toBe(false);
    expect(place({ ...memo, files: {} })).toBe(false);
  });

  test('a file the copy would give another mode, owner or time than the previous copy gave is copied', () => {
    expect(place(memo, { meta: { ...meta, mode: 0o755 } })).toBe(false);
    expect(place(memo, { meta: { ...meta, uid: meta.uid + 1 } })).toBe(false);
    expect(place(memo, { meta: { ...meta, gid: meta.gid + 1 } })).toBe(false);
    expect(place(memo, { meta: { ...meta, mtime: meta.mtime + 1 } })).toBe(false);
  });

  test('a vanished previous result is ignored', async () => {
    expect(place(memo, { prevDir: join(dir, 'gone') })).toBe(false);
    await expect(lstat(join(newDir, 'ctx', 'f.txt'))).rejects.toThrow();
  });

  test('memos round-trip; a missing or foreign one reads as none', async () => {
    writeCopyMemo(dir, 'sha256:' + 'c'.repeat(64), memo);
    // The read waits for the write.
    expect(await readCopyMemo(dir, 'sha256:' + 'c'.repeat(64))).toEqual(memo);
    expect(await readCopyMemo(dir, 'sha256:' + 'd'.repeat(64))).toBeUndefined();
    await writeFile(join(dir, 'copy-reuse', 'e'.repeat(64) + '.json'), '{"v":99}');
    expect(await readCopyMemo(dir, 'sha256:' + 'e'.repeat(64))).toBeUndefined();
    // A memo of the version before the copy's metadata was kept in it.
    await writeFile(join(dir, 'copy-reuse', 'e'.repeat(64) + '.json'), JSON.stringify({ v: 1, snapshot: 'x', files: {} }));
    expect(await readCopyMemo(dir, 'sha256:' + 'e'.repeat(64))).toBeUndefined();
  });
});
