import { afterAll, describe, expect, it } from 'vitest';
import { chown, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileAction, ChownOpt } from '../../../llb/pb/types.ts';
import { applyFileActions, FileOpError } from '../../../executor/fileop/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { cleanupTemp, copyAction, makeTree, run, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002:App:/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nstaff:x:50:app\napp:x:1002:\n';
const enc = (s: string) => new TextEncoder().encode(s);
const byName = (name: string, input = 0) => ({ byName: { name, input } });

async function owner(p: string): Promise<[number, number]> {
  const st = await lstat(p);
  return [st.uid, st.gid];
}

async function tree() {
  const files = { 'etc/passwd': PASSWD, 'etc/group': GROUP };
  const base = await makeTree(await tempDir('base-'), files);
  const w = await makeTree(await tempDir('work-'), files);
  const src = await makeTree(await tempDir('src-'), { 'd/f': 'x', 'd/sub/g': 'y', top: 'z' });
  await chown(join(src, 'd/f'), 777, 888);
  return { base, w, src };
}

describe.runIf(requirePrereqs({ root: true }))('ownership', () => {
  it('sets owners by id on mkdir, mkfile and symlink', async () => {
    const { w } = await tree();
    const o: ChownOpt = { user: { byID: 10 }, group: { byID: 20 } };
    await run(w, [
      { input: 0, secondaryInput: -1, output: -1, mkdir: { path: '/a/b', mode: 0o755, makeParents: true, owner: o, timestamp: -1 } },
      { input: 1, secondaryInput: -1, output: -1, mkfile: { path: '/a/f', mode: 0o644, data: enc('x'), owner: { user: { byID: 30 } }, timestamp: -1 } },
      { input: 2, secondaryInput: -1, output: 0, symlink: { oldpath: 'f', newpath: '/a/l', owner: o, timestamp: -1 } },
    ]);
    expect(await owner(join(w, 'a'))).toEqual([10, 20]);
    expect(await owner(join(w, 'a/b'))).toEqual([10, 20]);
    expect(await owner(join(w, 'a/f'))).toEqual([30, 30]);
    expect(await owner(join(w, 'a/l'))).toEqual([10, 20]);
  });

  it('resolves names from the destination tree /etc/passwd and /etc/group', async () => {
    const { base, w, src } = await tree();
    await run(w, [copyAction('/d', '/app/', { createDestPath: true, owner: { user: byName('app') } })], [base, src]);
    for (const p of ['app', 'app/d', 'app/d/f', 'app/d/sub/g']) expect(await owner(join(w, p)), p).toEqual([1001, 1002]);
    await run(w, [copyAction('/top', '/t', { owner: { user: byName('app'), group: byName('staff') } })], [base, src]);
    expect(await owner(join(w, 't'))).toEqual([1001, 50]);
    await run(w, [copyAction('/top', '/g', { owner: { group: byName('staff') } })], [base, src]);
    expect(await owner(join(w, 'g'))).toEqual([0, 50]);
  });

  it('reads users from the input a name points at', async () => {
    const { w, src } = await tree();
    const other = await makeTree(await tempDir('other-'), { 'etc/passwd': 'app:x:4242:4343::/:/bin/sh\n' });
    const empty = await tempDir('empty-');
    await run(w, [copyAction('/top', '/t', { owner: { user: byName('app', 2) } })], [empty, src, other]);
    expect(await owner(join(w, 't'))).toEqual([4242, 4343]);
  });

  it('sees users created earlier in the same chain', async () => {
    const { src } = await tree();
    const w = await tempDir('work-');
    const actions: FileAction[] = [
      { input: -1, secondaryInput: -1, output: -1, mkdir: { path: '/etc', mode: 0o755, timestamp: -1 } },
      { input: 2, secondaryInput: -1, output: -1, mkfile: { path: '/etc/passwd', mode: 0o644, data: enc('svc:x:555:556::/:/bin/sh\n'), timestamp: -1 } },
      { ...copyAction('/top', '/t', { owner: { user: byName('svc', 3) } }, { input: 3, secondaryInput: 1, output: 0 }) },
    ];
    await applyFileActions({ actions, inputs: [await tempDir(), src], workDir: w, scratchDir: () => tempDir() });
    expect(await owner(join(w, 't'))).toEqual([555, 556]);
  });

  it('fails clearly on an unknown user or group', async () => {
    const { base, w, src } = await tree();
    const err = await run(w, [copyAction('/top', '/t', { owner: { user: byName('nobody-here') } })], [base, src]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileOpError);
    expect((err as Error).message).toBe('unable to find user nobody-here: no matching entries in passwd file');
    const err2 = await run(w, [copyAction('/top', '/t', { owner: { group: byName('nogroup') } })], [base, src]).catch((e: unknown) => e);
    expect((err2 as Error).message).toBe('unable to find group nogroup: no matching entries in group file');
  });

  it('reads /etc/passwd through links confined to the tree', async () => {
    const { src } = await tree();
    const w = await makeTree(await tempDir('work-'), { etc: { link: '/real-etc' }, 'real-etc/passwd': 'inside:x:9:9::/:/bin/sh\n' });
    await run(w, [copyAction('/top', '/t', { owner: { user: byName('inside') } })], [w, src]);
    expect(await owner(join(w, 't'))).toEqual([9, 9]);
    // On the host this link leads to the host's /etc/group, which names root: inside the tree
    // it leads nowhere.
    const w2 = await makeTree(await tempDir('work-'), { 'etc/passwd': { link: '/../../../../etc/group' } });
    const err = await run(w2, [copyAction('/top', '/t', { owner: { user: byName('root') } })], [w2, src]).catch((e: unknown) => e);
    expect((err as Error).message).toBe('unable to find user root: no matching entries in passwd file');
    // A link that resolves to itself inside the tree is a loop, reported as such.
    const w3 = await makeTree(await tempDir('work-'), { etc: { link: '../../../../etc' } });
    const err3 = await run(w3, [copyAction('/top', '/t', { owner: { user: byName('root') } })], [w3, src]).catch((e: unknown) => e);
    expect((err3 as Error).message).toBe('too many levels of symbolic links resolving "/etc/passwd"');
  });

  it('keeps source owners without chown, unless the input says how its files are owned', async () => {
    const { base, w, src } = await tree();
    await run(w, [copyAction('/d/f', '/kept')], [base, src]);
    expect(await owner(join(w, 'kept'))).toEqual([777, 888]);
    await run(w, [copyAction('/d', '/ctx')], [base, { dir: src, owner: { uid: 0, gid: 0 } }]);
    expect(await owner(join(w, 'ctx/f'))).toEqual([0, 0]);
  });
});
