// LayerOnlyCopy.place takes a file's entry from the previous layer only when everything the
// entry's bytes depend on is what the previous layer wrote it with.
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LayerOnlyCopy, type PreviousLayer } from '../../../executor/ops/copy-layer.ts';
import type { TargetMeta } from '../../../executor/fileop/index.ts';

const DIGEST = 'sha256:' + 'a'.repeat(64);

describe('LayerOnlyCopy.place', () => {
  let dir: string;
  let st: BigIntStats;
  const meta: TargetMeta = { uid: 0, gid: 0, mode: 0o644, mtime: 1_700_000_000.5 };
  // What the previous layer wrote for ctx/f.txt: owner 0:0, mode 644, mtime in whole seconds, 4 bytes.
  const previous = (): PreviousLayer => ({
    file: '/nonexistent/blob',
    entries: new Map([['ctx/f.txt', ['ctx/f.txt', 0, 0, 0o644, 1_700_000_000, 4, DIGEST, 1024, 1536]]]),
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-copylayer-'));
    await writeFile(join(dir, 'f.txt'), 'data');
    st = await lstat(join(dir, 'f.txt'), { bigint: true });
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** `digest` null: a file the content key did not cover. */
  const reused = (m: TargetMeta, digest: string | null = DIGEST, stat: BigIntStats = st): number => {
    const copy = new LayerOnlyCopy(join(dir, 'upper'), previous());
    expect(copy.place(join(dir, 'f.txt'), stat, join(dir, 'upper', 'ctx', 'f.txt'), m, digest ?? undefined)).toBe(true);
    return copy.counts.reused;
  };

  test('the same file with the same metadata is taken from the previous layer', () => {
    expect(reused(meta)).toBe(1);
  });

  test('another owner, mode, time (in whole seconds), size or content is read again', () => {
    expect(reused({ ...meta, uid: 1 })).toBe(0);
    expect(reused({ ...meta, gid: 1 })).toBe(0);
    expect(reused({ ...meta, mode: 0o600 })).toBe(0);
    expect(reused({ ...meta, mtime: 1_700_000_001 })).toBe(0);
    expect(reused(meta, 'sha256:' + 'b'.repeat(64))).toBe(0);
    expect(reused(meta, null)).toBe(0);
    expect(reused(meta, DIGEST, Object.assign(Object.create(Object.getPrototypeOf(st) as object) as BigIntStats, st, { size: 5n }))).toBe(0);
  });
});
