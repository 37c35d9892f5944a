import { afterAll, describe, expect, it } from 'vitest';
import { chmod, link, lstat, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { FileOpError, selectCopySources } from '../../../executor/fileop/index.ts';
import { cleanupTemp, copyAction, makeTree, run, snapshotTree, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

const NS = 1_000_000_000;

async function setup(src: Parameters<typeof makeTree>[1], dst: Parameters<typeof makeTree>[1] = {}) {
  const s = await makeTree(await tempDir('src-'), src);
  const base = await makeTree(await tempDir('base-'), dst);
  const w = await makeTree(await tempDir('work-'), dst);
  return { s, w, inputs: [base, s] };
}

async function failure(p: Promise<unknown>): Promise<FileOpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FileOpError);
  return err as FileOpError;
}

describe('copy placement (Docker COPY rules)', () => {
  it('copies a file to a new name', async () => {
    const { w, inputs } = await setup({ 'a.txt': 'A' });
    await run(w, [copyAction('/a.txt', '/b.txt')], inputs);
    expect(await snapshotTree(w)).toEqual({ 'b.txt': 'A' });
  });

  it('puts a file inside an existing directory', async () => {
    const { w, inputs } = await setup({ 'a.txt': 'A' }, { out: { dir: true } });
    await run(w, [copyAction('/a.txt', '/out')], inputs);
    expect(await snapshotTree(w)).toEqual({ out: '/', 'out/a.txt': 'A' });
  });

  it('treats a destination ending in / as a directory, creating it', async () => {
    const { w, inputs } = await setup({ 'a.txt': 'A' });
    await run(w, [copyAction('/a.txt', '/new/dir/', { createDestPath: true })], inputs);
    expect(await snapshotTree(w)).toEqual({ new: '/', 'new/dir': '/', 'new/dir/a.txt': 'A' });
    expect((await stat(join(w, 'new'))).mode & 0o777).toBe(0o755);
  });

  it('copies a directory as itself to a new path, or inside an existing one', async () => {
    const { w, inputs } = await setup({ 'd/x': '1', 'd/sub/y': '2' }, { have: { dir: true } });
    await run(w, [copyAction('/d', '/new')], inputs);
    await run(w, [copyAction('/d', '/have')], inputs);
    expect(await snapshotTree(w)).toEqual({
      have: '/',
      'have/d': '/',
      'have/d/sub': '/',
      'have/d/sub/y': '2',
      'have/d/x': '1',
      new: '/',
      'new/sub': '/',
      'new/sub/y': '2',
      'new/x': '1',
    });
  });

  it('merges directory contents with dirCopyContents', async () => {
    const { w, inputs } = await setup({ 'd/x': '1', 'd/sub/y': '2' }, { have: { dir: true }, 'have/old': 'o' });
    await run(w, [copyAction('/d', '/have', { dirCopyContents: true })], inputs);
    await run(w, [copyAction('/d/', '/fresh', { dirCopyContents: true })], inputs);
    expect(await snapshotTree(w)).toEqual({
      fresh: '/',
      'fresh/sub': '/',
      'fresh/sub/y': '2',
      'fresh/x': '1',
      have: '/',
      'have/old': 'o',
      'have/sub': '/',
      'have/sub/y': '2',
      'have/x': '1',
    });
  });

  it('copies the whole source tree with src /', async () => {
    const { w, inputs } = await setup({ a: '1', 'b/c': '2' });
    await run(w, [copyAction('/', '/app/', { dirCopyContents: true, createDestPath: true })], inputs);
    expect(await snapshotTree(w)).toEqual({ app: '/', 'app/a': '1', 'app/b': '/', 'app/b/c': '2' });
  });

  it('requires the destination parent without createDestPath', async () => {
    const { w, inputs } = await setup({ a: '1' });
    const err = await failure(run(w, [copyAction('/a', '/no/such/a')], inputs));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('cannot copy to /no/such/a: directory /no/such does not exist');
    await run(w, [copyAction('/a', '/no/such/a', { createDestPath: true })], inputs);
    expect(await readFile(join(w, 'no/such/a'), 'utf8')).toBe('1');
  });

  it('overwrites an existing file', async () => {
    const { w, inputs } = await setup({ a: 'new' }, { a: 'old' });
    await run(w, [copyAction('/a', '/a')], inputs);
    expect(await readFile(join(w, 'a'), 'utf8')).toBe('new');
  });

  it('refuses to replace a directory with a file, unless alwaysReplaceExistingDestPaths', async () => {
    const { w, inputs } = await setup({ 'd/x': 'file' }, { 'out/x/inner': 'i' });
    const err = await failure(run(w, [copyAction('/d', '/out', { dirCopyContents: true })], inputs));
    expect(err.code).toBe('is-a-directory');
    expect(err.message).toContain('/out/x');
    await run(w, [copyAction('/d', '/out', { dirCopyContents: true, alwaysReplaceExistingDestPaths: true })], inputs);
    expect(await snapshotTree(w)).toEqual({ out: '/', 'out/x': 'file' });
  });

  it('replaces a file with a directory only with alwaysReplaceExistingDestPaths', async () => {
    const { w, inputs } = await setup({ 'd/x/y': 'deep' }, { 'out/x': 'file' });
    const err = await failure(run(w, [copyAction('/d', '/out', { dirCopyContents: true })], inputs));
    expect(err.code).toBe('not-a-directory');
    await run(w, [copyAction('/d', '/out', { dirCopyContents: true, alwaysReplaceExistingDestPaths: true })], inputs);
    expect(await snapshotTree(w)).toEqual({ out: '/', 'out/x': '/', 'out/x/y': 'deep' });
  });
});

describe('copy sources', () => {
  it('names a missing source like BuildKit', async () => {
    const { w, inputs } = await setup({});
    const err = await failure(run(w, [copyAction('/missing', '/x')], inputs));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('"/missing": not found');
    expect(err.kind).toBe('copy');
  });

  it('copies every wildcard match into a directory', async () => {
    const { w, inputs } = await setup({ 'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c', 'dir.txt/in': 'i' });
    await run(w, [copyAction('/*.txt', '/out/', { allowWildcard: true, createDestPath: true, dirCopyContents: true })], inputs);
    expect(await snapshotTree(w)).toEqual({ out: '/', 'out/a.txt': 'a', 'out/b.txt': 'b', 'out/in': 'i' });
  });

  it('fails on a wildcard without matches unless allowEmptyWildcard', async () => {
    const { w, inputs } = await setup({ 'a.txt': 'a' });
    const err = await failure(run(w, [copyAction('/*.go', '/out/', { allowWildcard: true, createDestPath: true })], inputs));
    expect(err.message).toBe('"/*.go": not found: no file matches the wildcard');
    await run(w, [copyAction('/*.go', '/out/', { allowWildcard: true, allowEmptyWildcard: true, createDestPath: true })], inputs);
    expect(await snapshotTree(w)).toEqual({});
  });

  it('takes * literally without allowWildcard', async () => {
    const { w, inputs } = await setup({ 'a*': 'star', ab: 'no' });
    await run(w, [copyAction('/a*', '/x')], inputs);
    expect(await snapshotTree(w)).toEqual({ x: 'star' });
  });

  it('checks requiredPaths relative to the copied source (COPY --parents src/./lib/a.ts)', async () => {
    const { w, inputs } = await setup({ 'src/lib/a.ts': 'a', 'src/lib/c.ts': 'c' });
    await run(
      w,
      [copyAction('/src', '/app/', { dirCopyContents: true, createDestPath: true, includePatterns: ['lib/a.ts'], requiredPaths: ['lib/a.ts'] })],
      inputs,
    );
    expect(await snapshotTree(w)).toEqual({ app: '/', 'app/lib': '/', 'app/lib/a.ts': 'a' });
    const err = await failure(
      run(w, [copyAction('/src', '/app/', { dirCopyContents: true, includePatterns: ['lib/b.ts'], requiredPaths: ['lib/b.ts'] })], inputs),
    );
    expect(err.message).toBe('"/src/lib/b.ts": not found');
  });

  it('checks requiredPaths', async () => {
    const { w, inputs } = await setup({ 'a/b': '1' });
    const err = await failure(run(w, [copyAction('/', '/o/', { requiredPaths: ['/a/c'], createDestPath: true })], inputs));
    expect(err.message).toBe('"/a/c": not found');
    await run(w, [copyAction('/', '/o/', { requiredPaths: ['/a/b'], createDestPath: true })], inputs);
  });

  it('filters with include and exclude patterns, creating directories only for matches', async () => {
    const { w, inputs } = await setup({
      'main.go': 'm',
      'util.go': 'u',
      'README.md': 'r',
      'pkg/a/x.go': 'x',
      'pkg/a/x_test.go': 't',
      'pkg/b/notes.txt': 'n',
      'vendor/v.go': 'v',
    });
    await run(
      w,
      [
        copyAction('/', '/app/', {
          createDestPath: true,
          dirCopyContents: true,
          includePatterns: ['*.go', 'pkg/**/*.go'],
          excludePatterns: ['**/*_test.go', 'util.go'],
        }),
      ],
      inputs,
    );
    expect(await snapshotTree(w)).toEqual({
      app: '/',
      'app/main.go': 'm',
      'app/pkg': '/',
      'app/pkg/a': '/',
      'app/pkg/a/x.go': 'x',
    });
  });

  it('re-includes with ! inside an excluded directory', async () => {
    const { w, inputs } = await setup({ 'node_modules/a/i.js': 'a', 'node_modules/keep/k.js': 'k', 'src/s.js': 's' });
    await run(w, [copyAction('/', '/', { dirCopyContents: true, excludePatterns: ['node_modules', '!node_modules/keep'] })], inputs);
    expect(await snapshotTree(w)).toEqual({
      node_modules: '/',
      'node_modules/keep': '/',
      'node_modules/keep/k.js': 'k',
      src: '/',
      'src/s.js': 's',
    });
  });

  it('rejects a malformed pattern clearly', async () => {
    const { w, inputs } = await setup({ a: '1' });
    const err = await failure(run(w, [copyAction('/', '/', { dirCopyContents: true, includePatterns: ['[a-'] })], inputs));
    expect(err.code).toBe('invalid');
    expect(err.message).toMatch(/^invalid include\/exclude pattern: .*\[a-/);
  });

  it('refuses to copy a named pipe, naming it', async () => {
    const { s, w, inputs } = await setup({ 'd/ok': '1' });
    execFileSync('mkfifo', [join(s, 'd/pipe')]);
    const err = await failure(run(w, [copyAction('/d', '/d')], inputs));
    expect(err.code).toBe('unsupported');
    expect(err.message).toBe('cannot copy /d/pipe: copying a named pipe is not supported');
  });

  it('lists what a copy reads, after wildcards and filters', async () => {
    const s = await makeTree(await tempDir(), {
      'a.txt': '',
      'b.txt': '',
      'c.md': '',
      'd/x.go': '',
      'd/y.txt': '',
      'd/sub/z.go': '',
      link: { link: 'd' },
    });
    expect(await selectCopySources(s, { src: '/*.txt', allowWildcard: true })).toMatchObject([
      { path: '/a.txt', resolved: '/a.txt', kind: 'file' },
      { path: '/b.txt', resolved: '/b.txt', kind: 'file' },
    ]);
    const [dir] = await selectCopySources(s, { src: '/d', includePatterns: ['**/*.go'] });
    expect(dir).toMatchObject({ path: '/d', kind: 'directory', entries: ['sub', 'sub/z.go', 'x.go'] });
    expect(await selectCopySources(s, { src: '/link' })).toMatchObject([{ path: '/link', resolved: '/link', kind: 'symlink' }]);
    expect(await selectCopySources(s, { src: '/link', followSymlink: true })).toMatchObject([{ path: '/link', resolved: '/d', kind: 'directory' }]);
    expect(await selectCopySources(s, { src: '/none*', allowWildcard: true, allowEmptyWildcard: true })).toEqual([]);
    await expect(selectCopySources(s, { src: '/nope' })).rejects.toThrow('"/nope": not found');
  });
});

describe('copy metadata', () => {
  it('keeps modes and mtimes by default', async () => {
    const { s, w, inputs } = await setup({ 'd/run.sh': '#!', 'd/data': 'x' });
    await chmod(join(s, 'd/run.sh'), 0o751);
    await chmod(join(s, 'd'), 0o710);
    await utimes(join(s, 'd/run.sh'), 1_000_000_000, 1_000_000_000);
    await utimes(join(s, 'd'), 1_100_000_000, 1_100_000_000);
    await run(w, [copyAction('/d', '/d')], inputs);
    expect((await stat(join(w, 'd/run.sh'))).mode & 0o7777).toBe(0o751);
    expect((await stat(join(w, 'd/run.sh'))).mtimeMs).toBe(1_000_000_000_000);
    expect((await stat(join(w, 'd'))).mode & 0o7777).toBe(0o710);
    expect((await stat(join(w, 'd'))).mtimeMs).toBe(1_100_000_000_000);
  });

  it('sets an octal mode on everything copied and the directories it creates', async () => {
    const { w, inputs } = await setup({ 'd/f': 'x', 'd/sub/g': 'y' });
    await run(w, [copyAction('/d', '/p/q/', { mode: 0o700, createDestPath: true, dirCopyContents: true })], inputs);
    for (const p of ['p', 'p/q', 'p/q/f', 'p/q/sub', 'p/q/sub/g']) expect((await stat(join(w, p))).mode & 0o7777, p).toBe(0o700);
  });

  it('applies a symbolic mode to each path', async () => {
    const { s, w, inputs } = await setup({ 'd/exe': '', 'd/plain': '', 'd/sub/f': '' });
    await chmod(join(s, 'd/exe'), 0o744);
    await chmod(join(s, 'd/plain'), 0o664);
    await chmod(join(s, 'd/sub'), 0o700);
    await run(w, [copyAction('/d', '/o', { modeStr: 'go=rX,u+w,g-w' })], inputs);
    expect((await stat(join(w, 'o/exe'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(w, 'o/plain'))).mode & 0o7777).toBe(0o644);
    expect((await stat(join(w, 'o/sub'))).mode & 0o7777).toBe(0o755);
  });

  it('sets a fixed timestamp on copied paths and created parents', async () => {
    const { w, inputs } = await setup({ 'd/f': 'x', 'd/sub/g': 'y' });
    const t = 1_234_567_890;
    await run(w, [copyAction('/d', '/new/parent/', { timestamp: t * NS, createDestPath: true, dirCopyContents: true })], inputs);
    for (const p of ['new', 'new/parent', 'new/parent/f', 'new/parent/sub', 'new/parent/sub/g']) {
      expect((await lstat(join(w, p))).mtimeMs, p).toBe(t * 1000);
    }
  });

  it('copies symlinks as links, and follows a top-level one only with followSymlink', async () => {
    const { w, inputs } = await setup({ 'real/f': 'x', top: { link: 'real' }, 'real/inner': { link: '/etc/passwd' } });
    await run(w, [copyAction('/top', '/asLink')], inputs);
    await run(w, [copyAction('/top', '/followed', { followSymlink: true })], inputs);
    expect(await snapshotTree(w)).toEqual({
      asLink: '-> real',
      followed: '/',
      'followed/f': 'x',
      'followed/inner': '-> /etc/passwd',
    });
  });

  it('keeps hard links between copied files', async () => {
    const { s, w, inputs } = await setup({ 'd/a': 'same' });
    await link(join(s, 'd/a'), join(s, 'd/b'));
    await run(w, [copyAction('/d', '/d')], inputs);
    const [a, b] = await Promise.all([stat(join(w, 'd/a')), stat(join(w, 'd/b'))]);
    expect(a.ino).toBe(b.ino);
    expect((await stat(join(s, 'd/a'))).ino).not.toBe(a.ino);
  });

  it('calls the read hook for each file read from an op input, and stops when it throws', async () => {
    const { w, inputs } = await setup({ 'd/a': '1', 'd/b': '2' });
    const seen: string[] = [];
    const { applyFileActions } = await import('../../../executor/fileop/index.ts');
    await applyFileActions({
      actions: [copyAction('/d', '/d')],
      inputs,
      workDir: w,
      scratchDir: () => tempDir(),
      onSourceFile: (input, p) => {
        seen.push(`${input}:${p}`);
      },
    });
    expect(seen.sort()).toEqual(['1:/d/a', '1:/d/b']);
    const err = await applyFileActions({
      actions: [copyAction('/d', '/e')],
      inputs,
      workDir: w,
      scratchDir: () => tempDir(),
      onSourceFile: () => {
        throw new FileOpError('io', 'file /d/a changed while copying');
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('file /d/a changed while copying');
  });
});
