import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileAction } from '../../../llb/pb/types.ts';
import { applyFileActions, FileOpError, planFileActions } from '../../../executor/fileop/index.ts';
import { cleanupTemp, makeTree, run, snapshotTree, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

const enc = (s: string) => new TextEncoder().encode(s);
const mkdir = (path: string, input: number, output = -1): FileAction => ({
  input,
  secondaryInput: -1,
  output,
  mkdir: { path, mode: 0o755, makeParents: true, timestamp: -1 },
});
const mkfile = (path: string, data: string, input: number, output = -1): FileAction => ({
  input,
  secondaryInput: -1,
  output,
  mkfile: { path, mode: 0o644, data: enc(data), timestamp: -1 },
});
const copy = (src: string, dest: string, input: number, secondaryInput: number, output = -1): FileAction => ({
  input,
  secondaryInput,
  output,
  copy: { src, dest, mode: -1, timestamp: -1, createDestPath: true, dirCopyContents: true },
});

describe('planFileActions', () => {
  it('follows input back from the output action', () => {
    // inputs: 0, 1; actions 0..3 are indexes 2..5
    const actions = [mkdir('/a', 0), copy('/x', '/a/', 2, 1), mkfile('/side', 's', -1), mkfile('/b', 'b', 3, 0)];
    expect(planFileActions(actions, 2)).toEqual({ output: 3, base: 0, chain: [0, 1, 3] });
    expect(planFileActions([mkfile('/f', '', -1, 0)], 0)).toEqual({ output: 0, base: -1, chain: [0] });
  });

  it('rejects bad indexes, loops and missing or duplicate outputs clearly', () => {
    expect(() => planFileActions([mkfile('/f', '', 5, 0)], 1)).toThrow('file action 0: input 5 is out of range (-1 to 1)');
    expect(() => planFileActions([mkfile('/f', '', 1, 0)], 1)).toThrow('refers to action 0, which does not come before it');
    expect(() => planFileActions([mkfile('/f', '', 0)], 1)).toThrow('no file action declares output 0');
    expect(() => planFileActions([mkfile('/f', '', 0, 0), mkfile('/g', '', 1, 0)], 1)).toThrow('file actions 0 and 1 both declare output 0');
    expect(() => planFileActions([mkfile('/f', '', 0, 1)], 1)).toThrow(FileOpError);
    expect(() => planFileActions([{ input: 0, output: 0 }], 1)).toThrow(/has no action/);
  });
});

describe('applyFileActions chains', () => {
  it('applies mkdir → copy → mkfile → rm → symlink in order on the base', async () => {
    const base = await makeTree(await tempDir('base-'), { 'etc/os': 'debian', 'tmp/junk': 'j' });
    const ctx = await makeTree(await tempDir('ctx-'), { 'src/main.c': 'int main;', 'src/util.c': 'u' });
    const w = await makeTree(await tempDir('work-'), { 'etc/os': 'debian', 'tmp/junk': 'j' });
    const actions: FileAction[] = [
      mkdir('/app', 0),
      copy('/src', '/app/src', 2, 1),
      mkfile('/app/VERSION', '1.0', 3),
      { input: 4, secondaryInput: -1, output: -1, rm: { path: '/tmp/junk' } },
      { input: 5, secondaryInput: -1, output: 0, symlink: { oldpath: '/app/VERSION', newpath: '/VERSION', timestamp: -1 } },
    ];
    await applyFileActions({ actions, inputs: [base, ctx], workDir: w, scratchDir: () => tempDir('scratch-') });
    expect(await snapshotTree(w)).toEqual({
      VERSION: '-> /app/VERSION',
      app: '/',
      'app/VERSION': '1.0',
      'app/src': '/',
      'app/src/main.c': 'int main;',
      'app/src/util.c': 'u',
      etc: '/',
      'etc/os': 'debian',
      tmp: '/',
    });
    expect(await snapshotTree(base)).toEqual({ etc: '/', 'etc/os': 'debian', tmp: '/', 'tmp/junk': 'j' });
  });

  it('builds a copy source made by another action of the same op on the side', async () => {
    // action 0 makes a tree on scratch; action 1 copies from it into the base.
    const w = await tempDir('work-');
    const actions: FileAction[] = [mkfile('/generated.txt', 'gen', -1), copy('/generated.txt', '/out/', 0, 1, 0)];
    await run(w, actions, [w]);
    expect(await snapshotTree(w)).toEqual({ out: '/', 'out/generated.txt': 'gen' });
  });

  it('copies from an earlier state of its own chain without seeing later changes', async () => {
    const base = await makeTree(await tempDir('base-'), { f: 'base' });
    const w = await makeTree(await tempDir('work-'), { f: 'base' });
    const actions: FileAction[] = [
      mkfile('/g', 'first', 0), // index 1
      mkfile('/g', 'second', 1), // index 2
      copy('/g', '/from-first', 2, 1, 0), // source is the tree after action 0
    ];
    await run(w, actions, [base]);
    expect(await readFile(join(w, 'g'), 'utf8')).toBe('second');
    expect(await readFile(join(w, 'from-first'), 'utf8')).toBe('first');
  });

  it('reports which action failed', async () => {
    const w = await tempDir('work-');
    const err = await run(w, [mkdir('/a', 0), copy('/nope', '/a/', 1, 0, 0)], [w]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FileOpError);
    expect(err).toMatchObject({ actionIndex: 1, kind: 'copy', code: 'not-found', message: '"/nope": not found' });
  });

  it('stops before the next action when aborted', async () => {
    const w = await tempDir('work-');
    const ac = new AbortController();
    ac.abort();
    await expect(
      applyFileActions({ actions: [mkfile('/f', 'x', 0, 0)], inputs: [w], workDir: w, scratchDir: () => tempDir(), signal: ac.signal }),
    ).rejects.toThrow();
    expect(await snapshotTree(w)).toEqual({});
  });
});
