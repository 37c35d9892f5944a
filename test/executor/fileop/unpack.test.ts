import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, chown, lstat, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requirePrereqs } from '../../support/require-root.ts';
import { cleanupTemp, copyAction, makeTree, run, snapshotTree, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

const runs = requirePrereqs({ commands: ['tar', 'gzip', 'bzip2', 'xz', 'zstd'] });

/** A source tree holding `name`, a tar (made by the system tar) of a small tree. */
async function archiveSource(name: string, flag: string): Promise<string> {
  const staging = await makeTree(await tempDir('stage-'), { 'pkg/bin/tool': '#!/bin/sh', 'pkg/README': 'read me', 'pkg/link': { link: 'README' } });
  await chmod(join(staging, 'pkg/bin/tool'), 0o755);
  await utimes(join(staging, 'pkg/README'), 1_000_000_000, 1_000_000_000);
  await chown(join(staging, 'pkg/README'), 1234, 5678).catch(() => {});
  const src = await tempDir('src-');
  const args = ['-c', ...(flag ? [flag] : []), '-f', join(src, name), '-C', staging, 'pkg'];
  execFileSync('tar', args);
  return src;
}

describe.runIf(runs)('archive sources are unpacked with attemptUnpackDockerCompatibility', () => {
  for (const [name, flag] of [
    ['a.tar', ''],
    ['a.tar.gz', '-z'],
    ['a.tgz.renamed', '-z'],
    ['a.tar.bz2', '-j'],
    ['a.tar.xz', '-J'],
    ['a.tar.zst', '--zstd'],
  ] as const) {
    it(`extracts ${name}`, async () => {
      const src = await archiveSource(name, flag);
      const w = await tempDir('work-');
      await run(w, [copyAction(`/${name}`, '/opt/', { attemptUnpackDockerCompatibility: true, createDestPath: true })], [w, src]);
      expect(await snapshotTree(w)).toEqual({
        opt: '/',
        'opt/pkg': '/',
        'opt/pkg/README': 'read me',
        'opt/pkg/bin': '/',
        'opt/pkg/bin/tool': '#!/bin/sh',
        'opt/pkg/link': '-> README',
      });
      expect((await stat(join(w, 'opt/pkg/bin/tool'))).mode & 0o7777).toBe(0o755);
      expect((await stat(join(w, 'opt/pkg/README'))).mtimeMs).toBe(1_000_000_000_000);
    });
  }

  it('copies a file that is not an archive as it is, and never unpacks without the flag', async () => {
    const src = await archiveSource('a.tar.gz', '-z');
    await writeFile(join(src, 'notes.tar'), 'not really a tar');
    const w = await tempDir('work-');
    await run(w, [copyAction('/notes.tar', '/x/', { attemptUnpackDockerCompatibility: true, createDestPath: true })], [w, src]);
    await run(w, [copyAction('/a.tar.gz', '/y/', { createDestPath: true })], [w, src]);
    expect(await snapshotTree(w)).toMatchObject({ 'x/notes.tar': 'not really a tar', y: '/' });
    expect((await lstat(join(w, 'y/a.tar.gz'))).isFile()).toBe(true);
  });

  it('recreates hard links and named pipes from the archive', async () => {
    const src = await tempDir('src-');
    const py = `
import tarfile, io, sys
t = tarfile.open(sys.argv[1], 'w')
ti = tarfile.TarInfo('f'); ti.size = 4; ti.mode = 0o640; t.addfile(ti, io.BytesIO(b'data'))
ti = tarfile.TarInfo('h'); ti.type = tarfile.LNKTYPE; ti.linkname = 'f'; t.addfile(ti)
ti = tarfile.TarInfo('p'); ti.type = tarfile.FIFOTYPE; ti.mode = 0o600; t.addfile(ti)
t.close()
`;
    execFileSync('python3', ['-c', py, join(src, 'x.tar')]);
    const w = await tempDir('work-');
    await run(w, [copyAction('/x.tar', '/', { attemptUnpackDockerCompatibility: true })], [w, src]);
    const [f, h, p] = await Promise.all(['f', 'h', 'p'].map((n) => lstat(join(w, n))));
    expect(h!.ino).toBe(f!.ino);
    expect(f!.mode & 0o7777).toBe(0o640);
    expect(p!.isFIFO()).toBe(true);
    expect(p!.mode & 0o7777).toBe(0o600);
  });

  it('unpacks every wildcard match, merging into an existing directory', async () => {
    const src = await archiveSource('one.tar', '');
    const w = await makeTree(await tempDir('work-'), { 'opt/existing': 'e' });
    await run(w, [copyAction('/*.tar', '/opt', { attemptUnpackDockerCompatibility: true, allowWildcard: true })], [w, src]);
    expect(await snapshotTree(w)).toMatchObject({ 'opt/existing': 'e', 'opt/pkg/README': 'read me' });
  });

  it.runIf(requirePrereqs({ root: true }))('keeps the archive owners, or applies the chown to every entry', async () => {
    const src = await archiveSource('a.tar', '');
    const w = await tempDir('work-');
    await run(w, [copyAction('/a.tar', '/keep/', { attemptUnpackDockerCompatibility: true, createDestPath: true })], [w, src]);
    const kept = await stat(join(w, 'keep/pkg/README'));
    expect([kept.uid, kept.gid]).toEqual([1234, 5678]);
    await run(
      w,
      [copyAction('/a.tar', '/own/', { attemptUnpackDockerCompatibility: true, createDestPath: true, owner: { user: { byID: 42 }, group: { byID: 43 } } })],
      [w, src],
    );
    for (const p of ['own', 'own/pkg', 'own/pkg/README', 'own/pkg/bin/tool']) {
      const st = await lstat(join(w, p));
      expect([st.uid, st.gid], p).toEqual([42, 43]);
    }
    expect((await lstat(join(w, 'own/pkg/link'))).uid).toBe(42);
  });
});
