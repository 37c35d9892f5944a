// The native snapshotter's hardlink farm (merges, reused diffs) keeps owners or says why it
// cannot: an owner that does not stick fails the merge, naming the path and the owner.
import { execFileSync } from 'node:child_process';
import { chown, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChangesLinked } from '../../../executor/snapshot/farm.ts';
import { treeAsChanges, type Change } from '../../../oci/layer/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';

async function* only(path: string, changes: AsyncIterable<Change>): AsyncGenerator<Change> {
  for await (const c of changes) if (c.path === path) yield c;
}

const run = requirePrereqs({ root: true, commands: ['chattr'] });

describe.runIf(run)('hardlink farm ownership', () => {
  let work: string;
  let src: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-farm-'));
    src = join(work, 'src');
    await mkdir(join(src, 'etc'), { recursive: true });
    await writeFile(join(src, 'etc', 'conf'), 'x');
    await symlink('conf', join(src, 'etc', 'link'));
    for (const p of ['etc', 'etc/conf', 'etc/link']) await chown(join(src, p), 1234, 4321).catch(() => {});
    // chown follows symlinks: the link itself gets its owner here.
    execFileSync('chown', ['-h', '1234:4321', join(src, 'etc', 'link')]);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('replays owners of directories, files and symlinks', async () => {
    const dst = join(work, 'ok');
    await mkdir(dst);
    await applyChangesLinked(dst, treeAsChanges(src));
    for (const p of ['etc', 'etc/conf', 'etc/link']) {
      const st = await lstat(join(dst, p));
      expect([p, st.uid, st.gid]).toEqual([p, 1234, 4321]);
    }
  });

  it('fails, naming the path and the owner, when an owner cannot be set', async () => {
    // The directory is already in the farm (the first input linked whole) and cannot change:
    // lchown on it fails with EPERM even for root.
    const dst = join(work, 'immutable');
    await mkdir(join(dst, 'etc'), { recursive: true });
    execFileSync('chattr', ['+i', join(dst, 'etc')]);
    try {
      const err = await applyChangesLinked(dst, only('etc', treeAsChanges(src))).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/etc/);
      expect(err?.message).toMatch(/1234:4321/);
      expect(err?.message).toMatch(/EPERM|not permitted/);
      expect((await lstat(join(dst, 'etc'))).uid).toBe(0);
    } finally {
      execFileSync('chattr', ['-i', join(dst, 'etc')]);
    }
  });
});
