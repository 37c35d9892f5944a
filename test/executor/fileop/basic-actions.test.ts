import { afterAll, describe, expect, it } from 'vitest';
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileAction } from '../../../llb/pb/types.ts';
import { FileOpError } from '../../../executor/fileop/index.ts';
import { cleanupTemp, makeTree, run, snapshotTree, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

const NS = 1_000_000_000;
const enc = (s: string) => new TextEncoder().encode(s);

function act(a: Omit<FileAction, 'input' | 'secondaryInput' | 'output'>): FileAction {
  return { input: 0, secondaryInput: -1, output: 0, ...a };
}

async function failure(p: Promise<unknown>): Promise<FileOpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FileOpError);
  return err as FileOpError;
}

describe('mkdir', () => {
  it('creates a directory with the exact mode and timestamp', async () => {
    const w = await tempDir();
    await run(w, [act({ mkdir: { path: '/d', mode: 0o750, timestamp: 1_600_000_000 * NS } })]);
    const st = await stat(join(w, 'd'));
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o750);
    expect(st.mtimeMs).toBe(1_600_000_000_000);
  });

  it('creates parents with makeParents, all with the mode', async () => {
    const w = await tempDir();
    await run(w, [act({ mkdir: { path: 'a/b/c', mode: 0o700, makeParents: true, timestamp: -1 } })]);
    for (const p of ['a', 'a/b', 'a/b/c']) expect((await stat(join(w, p))).mode & 0o777).toBe(0o700);
  });

  it('fails without makeParents when the parent is missing, naming the path in the tree', async () => {
    const w = await tempDir();
    const err = await failure(run(w, [act({ mkdir: { path: '/x/y', mode: 0o755, timestamp: -1 } })]));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('mkdir /x/y: no such file or directory');
    expect(err.actionIndex).toBe(0);
    expect(err.kind).toBe('mkdir');
    expect(err.message).not.toContain(w);
  });

  it('leaves an existing directory alone', async () => {
    const w = await makeTree(await tempDir(), { 'd/keep': 'k' });
    await run(w, [act({ mkdir: { path: '/d', mode: 0o700, timestamp: -1 } })]);
    expect(await readFile(join(w, 'd/keep'), 'utf8')).toBe('k');
    expect((await stat(join(w, 'd'))).mode & 0o777).not.toBe(0o700);
  });

  it('fails when a file is in the way of makeParents', async () => {
    const w = await makeTree(await tempDir(), { f: 'x' });
    const err = await failure(run(w, [act({ mkdir: { path: '/f/sub', mode: 0o755, makeParents: true, timestamp: -1 } })]));
    expect(err.code).toBe('not-a-directory');
    expect(err.message).toContain('/f');
  });
});

describe('mkfile', () => {
  it('writes data with mode and timestamp', async () => {
    const w = await tempDir();
    await run(w, [act({ mkfile: { path: '/hello.txt', mode: 0o640, data: enc('hi'), timestamp: 1_500_000_000 * NS } })]);
    const st = await stat(join(w, 'hello.txt'));
    expect(await readFile(join(w, 'hello.txt'), 'utf8')).toBe('hi');
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBe(1_500_000_000_000);
  });

  it('truncates an existing file and keeps its mode', async () => {
    const w = await makeTree(await tempDir(), { f: 'a long old content' });
    const before = (await stat(join(w, 'f'))).mode & 0o777;
    await run(w, [act({ mkfile: { path: '/f', mode: 0o600, data: enc('new'), timestamp: -1 } })]);
    expect(await readFile(join(w, 'f'), 'utf8')).toBe('new');
    expect((await stat(join(w, 'f'))).mode & 0o777).toBe(before);
  });

  it('writes an empty file when there is no data; unset timestamp is the epoch, as on the wire', async () => {
    const w = await tempDir();
    await run(w, [act({ mkfile: { path: '/empty', mode: 0o644 } })]);
    const st = await stat(join(w, 'empty'));
    expect(st.size).toBe(0);
    expect(st.mtimeMs).toBe(0);
  });

  it('fails on a missing parent', async () => {
    const w = await tempDir();
    const err = await failure(run(w, [act({ mkfile: { path: '/no/f', mode: 0o644, timestamp: -1 } })]));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('mkfile /no/f: no such file or directory');
  });
});

describe('rm', () => {
  it('removes files and whole directories', async () => {
    const w = await makeTree(await tempDir(), { 'a/b/c': '1', f: '2', keep: '3' });
    await run(w, [
      { input: 0, secondaryInput: -1, output: -1, rm: { path: '/a' } },
      { input: 1, secondaryInput: -1, output: 0, rm: { path: 'f' } },
    ]);
    expect(await snapshotTree(w)).toEqual({ keep: '3' });
  });

  it('fails on a missing path unless allowNotFound', async () => {
    const w = await tempDir();
    const err = await failure(run(w, [act({ rm: { path: '/missing' } })]));
    expect(err.message).toBe('rm /missing: no such file or directory');
    await run(w, [act({ rm: { path: '/missing', allowNotFound: true } })]);
  });

  it('removes wildcard matches; no match is fine', async () => {
    const w = await makeTree(await tempDir(), { 'tmp/a.log': '', 'tmp/b.log': '', 'tmp/c.txt': '' });
    await run(w, [act({ rm: { path: '/tmp/*.log', allowWildcard: true } })]);
    expect(await snapshotTree(w)).toEqual({ tmp: '/', 'tmp/c.txt': '' });
    await run(w, [act({ rm: { path: '/tmp/*.none', allowWildcard: true } })]);
  });

  it('removes a symlink itself, never what it points to', async () => {
    const w = await makeTree(await tempDir(), { 'data/keep': 'k', link: { link: '/data' } });
    await run(w, [act({ rm: { path: '/link' } })]);
    expect(await snapshotTree(w)).toEqual({ data: '/', 'data/keep': 'k' });
  });

  it('refuses to remove the root', async () => {
    const w = await makeTree(await tempDir(), { f: '' });
    const err = await failure(run(w, [act({ rm: { path: '/..' } })]));
    expect(err.code).toBe('invalid');
    expect(await snapshotTree(w)).toEqual({ f: '' });
  });
});

describe('symlink', () => {
  it('creates a link with the target text as given and its timestamp', async () => {
    const w = await tempDir();
    await run(w, [act({ symlink: { oldpath: '../../etc/passwd', newpath: '/l', timestamp: 1_400_000_000 * NS } })]);
    expect(await readlink(join(w, 'l'))).toBe('../../etc/passwd');
    expect((await lstat(join(w, 'l'))).mtimeMs).toBe(1_400_000_000_000);
  });

  it('fails when the path exists', async () => {
    const w = await makeTree(await tempDir(), { l: 'x' });
    const err = await failure(run(w, [act({ symlink: { oldpath: 'y', newpath: '/l', timestamp: -1 } })]));
    expect(err.code).toBe('exists');
    expect(err.message).toBe('symlink /l: file exists');
  });
});
