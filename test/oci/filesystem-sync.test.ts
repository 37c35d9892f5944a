import { mkdtemp, readFile, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
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
});
