// Extended attributes read with getfattr: trees asked for together share one process, and each
// caller still gets exactly its own tree.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readXattrTree } from '../../../oci/layer/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsbuild-xattrs-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.runIf(requirePrereqs({ commands: ['getfattr', 'setfattr'] }))('readXattrTree', () => {
  it('gives each of several trees read at once its own attributes', async () => {
    const trees = ['a', 'ab', 'c'].map((n) => join(tmp, n));
    for (const [i, t] of trees.entries()) {
      await mkdir(join(t, 'sub'), { recursive: true });
      await writeFile(join(t, 'sub/f'), 'x');
      execFileSync('setfattr', ['-n', 'user.tree', '-v', `t${i}`, join(t, 'sub/f')]);
    }
    const [a, ab, c] = await Promise.all(trees.map((t) => readXattrTree(t)));
    for (const [i, m] of [a!, ab!, c!].entries()) {
      expect([...m.keys()]).toEqual([join(trees[i]!, 'sub/f')]);
      expect(m.get(join(trees[i]!, 'sub/f'))!.get('user.tree')!.toString()).toBe(`t${i}`);
    }
  });

  it('reads a tree on its own, and an empty tree gives nothing', async () => {
    const t = join(tmp, 'alone');
    await mkdir(join(t, 'empty'), { recursive: true });
    await writeFile(join(t, 'f'), 'y');
    execFileSync('setfattr', ['-n', 'user.k', '-v', 'v', join(t, 'f')]);
    expect((await readXattrTree(t)).get(join(t, 'f'))!.get('user.k')!.toString()).toBe('v');
    expect((await readXattrTree(join(t, 'empty'))).size).toBe(0);
  });
});
