// The file-hash cache's file is read once per process: a later load of the same, unchanged file
// takes the entries the process already holds (what the build server and watch mode rebuild with).
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HashCache } from '../../../executor/contenthash/hash-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('HashCache', () => {
  it('appends a few changed entries, and writes the file anew once appended lines pile up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbuild-hashcache-'));
    dirs.push(dir);
    const file = join(dir, 'cache');
    const files = Array.from({ length: 8 }, (_, i) => {
      const p = join(dir, `f${i}`);
      writeFileSync(p, String(i));
      return { p, st: lstatSync(p, { bigint: true }) };
    });
    const entry = (c: string) => ({ sha: c.repeat(64), digest: `sha256:${c.repeat(64)}` as const });
    const lineCount = () => readFileSync(file, 'utf8').trimEnd().split('\n').length;
    const cache = new HashCache(file, 0n);
    await cache.load();
    for (const f of files) cache.set(f.p, f.st, entry('a'), f.st.mtimeNs + 10_000_000_000n);
    await cache.flush();
    expect(lineCount()).toBe(9); // the header and eight entries
    const inode = statSync(file).ino;

    cache.set(files[0]!.p, files[0]!.st, entry('b'), files[0]!.st.mtimeNs + 10_000_000_000n);
    await cache.flush();
    expect(statSync(file).ino).toBe(inode); // appended to, not replaced
    expect(lineCount()).toBe(10);
    const reader = new HashCache(file, 0n);
    await reader.load();
    expect(reader.get(files[0]!.p, files[0]!.st)).toEqual(entry('b')); // the later line wins
    expect(reader.get(files[1]!.p, files[1]!.st)).toEqual(entry('a'));

    // A second process's flush counts what the file already has appended: past a quarter of
    // the entries, the file is written whole again.
    reader.set(files[1]!.p, files[1]!.st, entry('c'), files[1]!.st.mtimeNs + 10_000_000_000n);
    reader.set(files[2]!.p, files[2]!.st, entry('c'), files[2]!.st.mtimeNs + 10_000_000_000n);
    await reader.flush();
    expect(statSync(file).ino).not.toBe(inode);
    expect(lineCount()).toBe(9);
    const third = new HashCache(file, 0n);
    await third.load();
    expect([0, 1, 2, 3].map((i) => third.get(files[i]!.p, files[i]!.st))).toEqual([entry('b'), entry('c'), entry('c'), entry('a')]);
  });

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
