// Every write lands inside the destination tree and every read inside the source tree, whatever
// symlinks the trees hold: absolute links are taken from the tree's root and `..` stops there.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { FileAction } from '../../../llb/pb/types.ts';
import { cleanupTemp, copyAction, makeTree, run, snapshotTree, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

let outside: string;
let outsideBefore: Record<string, string>;
let passwdBefore: { text: string; mtime: number };

beforeEach(async () => {
  outside = await makeTree(await tempDir('outside-'), { sentinel: 'untouched', 'dir/keep': 'k' });
  outsideBefore = await snapshotTree(outside);
  passwdBefore = { text: await readFile('/etc/passwd', 'utf8'), mtime: (await stat('/etc/passwd')).mtimeMs };
});

async function expectOutsideUntouched(): Promise<void> {
  expect(await snapshotTree(outside)).toEqual(outsideBefore);
  expect(await readFile('/etc/passwd', 'utf8')).toBe(passwdBefore.text);
  expect((await stat('/etc/passwd')).mtimeMs).toBe(passwdBefore.mtime);
}

/** A destination tree full of links that would lead out of it on the host. */
async function hostileTree(): Promise<string> {
  const w = await tempDir('work-');
  const up = relative(w, outside); // ../fileop-outside-xxx
  return makeTree(w, {
    abs: { link: outside },
    rel: { link: up },
    'deep/rel': { link: `../../../../../../../../${outside}` },
    'etc-link': { link: '/etc' },
    'passwd-link': { link: '/etc/passwd' },
    'sentinel-link': { link: join(outside, 'sentinel') },
    'etc/passwd': 'in-tree passwd',
  });
}

const act = (a: Omit<FileAction, 'input' | 'secondaryInput' | 'output'>): FileAction => ({ input: 0, secondaryInput: -1, output: 0, ...a });
const data = new TextEncoder().encode('payload');

describe('destination symlinks pointing outside are confined', () => {
  it('mkfile through absolute, relative and file links', async () => {
    const w = await hostileTree();
    // The link's target does not exist inside the tree: the write fails rather than escape.
    await expect(run(w, [act({ mkfile: { path: '/abs/sentinel', mode: 0o644, data, timestamp: -1 } })])).rejects.toThrow(
      `mkfile ${outside}/sentinel: no such file or directory`,
    );
    await expect(run(w, [act({ mkfile: { path: '/rel/new', mode: 0o644, data, timestamp: -1 } })])).rejects.toThrow('no such file');
    await run(w, [act({ mkfile: { path: '/passwd-link', mode: 0o644, data, timestamp: -1 } })]);
    await expect(run(w, [act({ mkfile: { path: '/sentinel-link', mode: 0o644, data, timestamp: -1 } })])).rejects.toThrow('no such file');
    await run(w, [act({ mkfile: { path: '/etc-link/shadow', mode: 0o600, data, timestamp: -1 } })]);
    await expectOutsideUntouched();
    expect(await readFile(join(w, 'etc/passwd'), 'utf8')).toBe('payload');
    expect(await readFile(join(w, 'etc/shadow'), 'utf8')).toBe('payload');
  });

  it('mkdir -p and symlink through links', async () => {
    const w = await hostileTree();
    await run(w, [act({ mkdir: { path: '/abs/dir/new', mode: 0o755, makeParents: true, timestamp: -1 } })]);
    await run(w, [act({ mkdir: { path: '/deep/rel/evil', mode: 0o755, makeParents: true, timestamp: -1 } })]);
    await run(w, [act({ symlink: { oldpath: '/x', newpath: '/abs/dir/lnk', timestamp: -1 } })]);
    await expectOutsideUntouched();
    expect((await stat(join(w, outside, 'dir/new'))).isDirectory()).toBe(true);
  });

  it('rm through links removes nothing outside', async () => {
    const w = await hostileTree();
    await run(w, [act({ rm: { path: '/abs/sentinel', allowNotFound: true } })]);
    await run(w, [act({ rm: { path: '/rel/dir', allowNotFound: true } })]);
    await run(w, [act({ rm: { path: '/etc-link/passwd' } })]);
    await run(w, [act({ rm: { path: '/abs/*', allowWildcard: true } })]);
    await run(w, [act({ rm: { path: '/rel/*', allowWildcard: true } })]);
    await expectOutsideUntouched();
    expect(await snapshotTree(w)).not.toHaveProperty(['etc/passwd']);
  });

  it('copy into link destinations, including a link as dest itself', async () => {
    const w = await hostileTree();
    const s = await makeTree(await tempDir('src-'), { sentinel: 'overwritten?', 'tree/passwd': 'evil' });
    const inputs = [w, s];
    await run(w, [copyAction('/sentinel', '/abs/sentinel', { createDestPath: true })], inputs);
    await run(w, [copyAction('/sentinel', '/sentinel-link', { createDestPath: true })], inputs);
    await run(w, [copyAction('/tree', '/etc-link', { dirCopyContents: true })], inputs);
    await run(w, [copyAction('/tree/passwd', '/passwd-link')], inputs);
    await run(w, [copyAction('/tree', '/rel/', { createDestPath: true })], inputs);
    await expectOutsideUntouched();
    expect(await readFile(join(w, 'etc/passwd'), 'utf8')).toBe('evil');
  });
});

describe('source symlinks pointing outside are confined', () => {
  it('reads through links inside the source root only', async () => {
    const s = await makeTree(await tempDir('src-'), {
      out: { link: outside },
      hostpasswd: { link: '/etc/passwd' },
      up: { link: '../../../..' },
      'etc/passwd': 'src passwd',
    });
    const w = await tempDir('work-');
    const inputs = [w, s];
    const err = await run(w, [copyAction('/out/sentinel', '/s')], inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('"/out/sentinel": not found');
    await run(w, [copyAction('/hostpasswd', '/p', { followSymlink: true })], inputs);
    expect(await readFile(join(w, 'p'), 'utf8')).toBe('src passwd');
    await run(w, [copyAction('/up/etc/passwd', '/q')], inputs);
    expect(await readFile(join(w, 'q'), 'utf8')).toBe('src passwd');
    // Listing through links lists the source tree, never the host's directories.
    const s2 = await makeTree(await tempDir('src2-'), { up: { link: '../../..' }, 'etc/passwd': 'p', 'bin/sh': 'sh' });
    await run(w, [copyAction('/up/*', '/all/', { allowWildcard: true, createDestPath: true, followSymlink: true })], [w, s2]);
    await run(w, [copyAction('/out/*', '/none/', { allowWildcard: true, allowEmptyWildcard: true, createDestPath: true, followSymlink: true })], inputs);
    expect(await snapshotTree(w)).not.toHaveProperty('none');
    expect(Object.keys(await snapshotTree(join(w, 'all'))).sort()).toEqual([
      'bin',
      'bin/sh',
      'etc',
      'etc/passwd',
      'up',
      'up/bin',
      'up/bin/sh',
      'up/etc',
      'up/etc/passwd',
      'up/up',
    ]);
  });
});

describe('archives are extracted inside the destination', () => {
  it('ignores .. and absolute names, and writes through no link', async () => {
    // A tar with ../ names, an absolute name, a symlink out and a file written through it, and a
    // hard link to the host's /etc/passwd.
    const staging = await tempDir('tar-');
    const tarFile = join(await tempDir('tarout-'), 'evil.tar');
    await makeTree(staging, { 'a/f': 'A' });
    const py = `
import tarfile, io, sys
t = tarfile.open(sys.argv[1], 'w')
def add(name, data=b'x', **kw):
    ti = tarfile.TarInfo(name); ti.size = len(data)
    for k, v in kw.items(): setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data) if ti.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else None)
add('../../escape', b'E')
add('/abs-escape', b'A')
add('out', type=tarfile.SYMTYPE, linkname=sys.argv[2], size=0)
add('out/sentinel', b'overwritten')
add('etclink', type=tarfile.SYMTYPE, linkname='/etc', size=0)
add('etclink/passwd', b'evil passwd')
add('hl', type=tarfile.LNKTYPE, linkname='/etc/passwd', size=0)
t.close()
`;
    execFileSync('python3', ['-c', py, tarFile, outside]);
    const s = dirname(tarFile);
    const w = await tempDir('work-');
    await run(w, [copyAction('/evil.tar', '/x/', { attemptUnpackDockerCompatibility: true, createDestPath: true })], [w, s]);
    await expectOutsideUntouched();
    const tree = await snapshotTree(w);
    expect(tree['x/escape']).toBe('E');
    expect(tree['x/abs-escape']).toBe('A');
    expect(tree['x/etc/passwd']).toBe('evil passwd');
    expect(tree['x' + outside + '/sentinel']).toBe('overwritten');
    expect(tree['x/hl']).toBe('evil passwd');
  });
});
