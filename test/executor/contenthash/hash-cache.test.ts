// The file-hash cache's file is read once per process: a later load of the same, unchanged file
// takes the entries the process already holds (what the build server and watch mode rebuild with).
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HashCache } from '../../../executor/contenthash/hash-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('HashCache', () => {
  it('reuses the entries it holds while the file on disk is the one it wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbuild-hashcache-'));
    dirs.push(dir);
    const file = join(dir, 'cache');
    const src = join(dir, 'a.txt');
    writeFileSync(src, 'a');
    const st = lstatSync(src, { bigint: true });
    const entry = { sha: 'a'.repeat(64), digest: `sha256:${'b'.repeat(64)}` as const };
    const first = new HashCache(file, 0n);
    await first.load();
    first.set(src, st, entry, st.mtimeNs + 10_000_000_000n);
    await first.flush();

    // Same size, time and inode, other bytes: only a reader that skips the file keeps the entry.
    const before = statSync(file, { bigint: true });
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(Number(before.size), 'x'), 0, Number(before.size), 0);
    closeSync(fd);
    // touch takes the time to the nanosecond (a Date would round it).
    const ns = before.mtimeNs;
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, file]);
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(ns);
    const second = new HashCache(file, 0n);
    await second.load();
    expect(second.get(src, st)).toEqual(entry);

    // A file that changed (another process wrote it) is read again.
    writeFileSync(file, 'not a cache\n');
    const third = new HashCache(file, 0n);
    await third.load();
    expect(third.get(src, st)).toBeUndefined();
  });
});
