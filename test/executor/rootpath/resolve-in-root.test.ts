import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { resolveInRoot, pathInRoot, RootPathError } from '../../../executor/rootpath/index.ts';
import { cleanupTemp, makeTree, tempDir } from '../fileop/helpers.ts';

afterAll(cleanupTemp);

async function fixture(): Promise<string> {
  const root = await tempDir();
  return makeTree(root, {
    'a/b/file': 'x',
    'abs-etc': { link: '/etc' },
    up: { link: '../../..' },
    'up-etc': { link: '../../../../etc/passwd' },
    'rel-b': { link: 'a/b' },
    'a/b/back': { link: '../..' },
    chain1: { link: 'chain2' },
    chain2: { link: '/a/b' },
    loop1: { link: 'loop2' },
    loop2: { link: 'loop1' },
    dangling: { link: '/nowhere/deep' },
    'etc/passwd': 'root-in-tree',
  });
}

describe('resolveInRoot', () => {
  it('keeps plain paths under the root, relative or absolute', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/a/b/file')).toBe(join(root, 'a/b/file'));
    expect(await resolveInRoot(root, 'a/b/file')).toBe(join(root, 'a/b/file'));
    expect(await resolveInRoot(root, '/')).toBe(root);
    expect(await resolveInRoot(root, '')).toBe(root);
  });

  it('clamps .. at the root', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/../../../etc/passwd')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/a/../../x')).toBe(join(root, 'x'));
  });

  it('restarts absolute link targets at the root', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/abs-etc/passwd')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/abs-etc')).toBe(join(root, 'etc'));
  });

  it('clamps relative link targets that climb above the root', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/up')).toBe(root);
    expect(await resolveInRoot(root, '/up/etc/passwd')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/up-etc')).toBe(join(root, 'etc/passwd'));
    expect(await resolveInRoot(root, '/a/b/back/a/b/file')).toBe(join(root, 'a/b/file'));
  });

  it('resolves .. after a symlink against the link target, like the kernel', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/rel-b/../b/file')).toBe(join(root, 'a/b/file'));
    expect(await resolveInRoot(root, '/chain1/..')).toBe(join(root, 'a'));
  });

  it('follows chains of links', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/chain1/file')).toBe(join(root, 'a/b/file'));
  });

  it('leaves the last component alone when asked', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/abs-etc', { followFinal: false })).toBe(join(root, 'abs-etc'));
    expect(await resolveInRoot(root, '/chain1/back', { followFinal: false })).toBe(join(root, 'a/b/back'));
  });

  it('keeps missing components as written, also through a dangling link', async () => {
    const root = await fixture();
    expect(await resolveInRoot(root, '/new/dir/file')).toBe(join(root, 'new/dir/file'));
    expect(await resolveInRoot(root, '/dangling')).toBe(join(root, 'nowhere/deep'));
    expect(await resolveInRoot(root, '/dangling/x/../y')).toBe(join(root, 'nowhere/deep/y'));
  });

  it('fails on symlink loops with a clear error', async () => {
    const root = await fixture();
    const err = await resolveInRoot(root, '/loop1/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RootPathError);
    expect((err as Error).message).toContain('too many levels of symbolic links');
  });

  it('never returns a path outside the root', async () => {
    const root = await fixture();
    const probes = ['/up/up/up', '/abs-etc/../../..', '/a/b/back/../../..', '/up-etc/../..', '/dangling/../../../../tmp', '../x', 'up/../../y'];
    for (const p of probes) {
      const r = await resolveInRoot(root, p);
      expect(r === root || r.startsWith(root + '/'), `${p} → ${r}`).toBe(true);
    }
  });
});

describe('pathInRoot', () => {
  it('maps host paths back to in-root paths', () => {
    expect(pathInRoot('/r', '/r')).toBe('/');
    expect(pathInRoot('/r', '/r/a/b')).toBe('/a/b');
    expect(pathInRoot('/r', '/rx/a')).toBe('/rx/a');
  });
});
