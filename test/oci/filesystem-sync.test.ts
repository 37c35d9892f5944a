import { link, mkdtemp, readFile, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyDirectory } from '../../oci/index.ts';

describe('local export into an existing directory', () => {
  it('rewrites only what changed and keeps unchanged files untouched', async () => {
    const src = await mkdtemp(join(tmpdir(), 'sync-src-'));
    const dest = await mkdtemp(join(tmpdir(), 'sync-dest-'));
    await mkdir(join(src, 'd'));
    await writeFile(join(src, 'd/same.txt'), 'same');
    await writeFile(join(src, 'd/edit.txt'), 'before');
    await copyDirectory(src, dest);
    const sameBefore = await stat(join(dest, 'd/same.txt'));
    const editBefore = await stat(join(dest, 'd/edit.txt'));

    await writeFile(join(src, 'd/edit.txt'), 'after!');
    const later = new Date(Date.now() + 5000);
    await utimes(join(src, 'd/edit.txt'), later, later);
    await copyDirectory(src, dest);

    expect(await readFile(join(dest, 'd/edit.txt'), 'utf8')).toBe('after!');
    const sameAfter = await stat(join(dest, 'd/same.txt'));
    // Same inode and ctime: the unchanged file was not rewritten.
    expect(sameAfter.ino).toBe(sameBefore.ino);
    expect(sameAfter.ctimeMs).toBe(sameBefore.ctimeMs);
    expect((await stat(join(dest, 'd/edit.txt'))).mtimeMs).not.toBe(editBefore.mtimeMs);
  });

  it('leaves alone files with links outside the tree, and keeps links inside it linked', async () => {
    const src = await mkdtemp(join(tmpdir(), 'sync-src-'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'sync-other-'));
    const dest = await mkdtemp(join(tmpdir(), 'sync-dest-'));
    // A layer that reuses an earlier one's files holds them as links to files outside the tree.
    await writeFile(join(src, 'reused.txt'), 'reused');
    await link(join(src, 'reused.txt'), join(elsewhere, 'reused.txt'));
    await writeFile(join(src, 'a.txt'), 'pair');
    await link(join(src, 'a.txt'), join(src, 'b.txt'));
    await copyDirectory(src, dest);
    const before = await Promise.all(['reused.txt', 'a.txt', 'b.txt'].map((n) => stat(join(dest, n))));
    expect(before[1]!.ino).toBe(before[2]!.ino);

    await copyDirectory(src, dest);
    const after = await Promise.all(['reused.txt', 'a.txt', 'b.txt'].map((n) => stat(join(dest, n))));
    // Not rewritten: same inodes and change times.
    expect(after.map((s) => [s.ino, s.ctimeMs])).toEqual(before.map((s) => [s.ino, s.ctimeMs]));

    // The pair becomes two files: the export follows.
    await rm(join(src, 'b.txt'));
    await writeFile(join(src, 'b.txt'), 'pair');
    await utimes(join(src, 'b.txt'), before[1]!.atime, before[1]!.mtime);
    await copyDirectory(src, dest);
    const split = await Promise.all(['a.txt', 'b.txt'].map((n) => stat(join(dest, n))));
    expect(split[0]!.ino).not.toBe(split[1]!.ino);
    await rm(elsewhere, { recursive: true, force: true });
  });
});
