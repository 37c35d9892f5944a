// TreeCopier's hooks for callers that place files themselves (a layer-only COPY): a stat the
// caller already has is used instead of a new lstat, and only for regular files it names.
import type { BigIntStats } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TreeCopier } from '../../../executor/fileop/copy-tree.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsbuild-copytree-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('TreeCopier with placeFile', () => {
  it('takes the stats the caller knows, stats the rest, and still makes the directories', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    await mkdir(join(src, 'sub'), { recursive: true });
    await mkdir(dst);
    await writeFile(join(src, 'known.txt'), 'k');
    await writeFile(join(src, 'sub/unknown.txt'), 'u');
    const known = await lstat(join(src, 'known.txt'), { bigint: true });
    const placed = new Map<string, BigIntStats>();
    const copier = new TreeCopier({
      srcRoot: src,
      dstRoot: dst,
      knownStat: (p) => (p === '/known.txt' ? known : undefined),
      placeFile: (p, st) => {
        placed.set(p, st);
        return true;
      },
    });
    await copier.copy(src, join(dst, 'out'));
    expect([...placed.keys()].sort()).toEqual(['/known.txt', '/sub/unknown.txt']);
    expect(placed.get('/known.txt')).toBe(known);
    expect(placed.get('/sub/unknown.txt')!.size).toBe(1n);
    // Placed files are the caller's: only the directories were made here.
    expect(await readdir(join(dst, 'out'))).toEqual(['sub']);
    expect(await readdir(join(dst, 'out/sub'))).toEqual([]);
  });
});
