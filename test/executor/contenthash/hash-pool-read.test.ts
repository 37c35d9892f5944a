// HashPool.readSmall: a layer writer's small files read by the pool's threads in batches, into
// buffers the pool lends and takes back.
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HashPool } from '../../../executor/contenthash/hash-pool.ts';

describe('HashPool.readSmall', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-pool-read-'));
    for (let i = 0; i < 200; i++) await writeFile(join(dir, `f${i}`), `file ${i} `.repeat(i + 1));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test("reads many files in batches: each one's bytes and the stat of the inode read", async () => {
    const pool = new HashPool(2);
    const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.readSmall(join(dir, `f${i}`), `file ${i} `.length * (i + 1))));
    for (const [i, r] of reads.entries()) {
      expect(r.bytes.toString()).toBe(`file ${i} `.repeat(i + 1));
      const st = await lstat(join(dir, `f${i}`), { bigint: true });
      expect(r.stat).toEqual({ size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, mode: st.mode, uid: st.uid, gid: st.gid });
    }
    // Batches share buffers: 200 files, far fewer buffers.
    expect(new Set(reads.map((r) => r.bytes.buffer)).size).toBeLessThan(20);
    for (const r of reads) r.done();
  });

  test('a buffer is lent again only once every file read into it is done with', async () => {
    const pool = new HashPool(1);
    const first = await Promise.all([0, 1].map((i) => pool.readSmall(join(dir, `f${i}`), `file ${i} `.length * (i + 1))));
    expect(first[1]!.bytes.buffer).toBe(first[0]!.bytes.buffer);
    expect(pool.buffersMade).toBe(1);
    first[0]!.done();
    first[0]!.done(); // twice is once
    const meanwhile = await pool.readSmall(join(dir, 'f2'), 'file 2 '.length * 3);
    expect(pool.buffersMade).toBe(2);
    expect(first[1]!.bytes.toString()).toBe('file 1 file 1 ');
    first[1]!.done();
    meanwhile.done();
    for (let i = 3; i < 6; i++) {
      const later = await pool.readSmall(join(dir, `f${i}`), `file ${i} `.length * (i + 1));
      expect(later.bytes.toString()).toBe(`file ${i} `.repeat(i + 1));
      later.done();
    }
    expect(pool.buffersMade).toBe(2);
  });

  test('a file that grew or shrank shows in its length; a missing one is an error', async () => {
    const pool = new HashPool(1);
    const path = join(dir, 'changing');
    await writeFile(path, 'twelve bytes');
    const grown = await pool.readSmall(path, 5);
    expect(grown.bytes.toString()).toBe('twelve');
    const shrunk = await pool.readSmall(path, 40);
    expect(shrunk.bytes.toString()).toBe('twelve bytes');
    grown.done();
    shrunk.done();
    await expect(pool.readSmall(join(dir, 'missing'), 3)).rejects.toThrow(/ENOENT/);
  });
});
