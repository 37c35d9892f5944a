// A COPY from a build context whose result nothing in the build mounts writes its layer tar
// straight from the context (no files in a snapshot); the layer must be the one the copied
// snapshot would have exported, and a later build that mounts the result gets the same files.
import { chmod, chown, link, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copy, image, local, mkdir as mkdirAction, type State } from '../../../llb/index.ts';
import { prune } from '../../../executor/index.ts';
import type { SolveEvent } from '../../../solver/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, storeBusybox, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['tar', 'getfattr', 'runc'] });
const BASE = 'tsbuild.test/busybox:1';

describe.runIf(run)('COPY written straight to its layer', () => {
  let ctxDir: string;
  let layerOnly: Harness;
  let withFiles: Harness;

  beforeAll(async () => {
    ctxDir = await mkdtemp(join(tmpdir(), 'tsbuild-copy-layer-'));
    await mkdir(join(ctxDir, 'sub', 'deep'), { recursive: true });
    await mkdir(join(ctxDir, 'empty'));
    await writeFile(join(ctxDir, 'a.txt'), 'alpha\n');
    await writeFile(join(ctxDir, 'sub', 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(ctxDir, 'sub', 'run.sh'), 0o750);
    // A context reads as root's: the layer must say so whoever owns the file.
    await chown(join(ctxDir, 'sub', 'run.sh'), 1234, 1234);
    await writeFile(join(ctxDir, 'sub', 'deep', 'big.bin'), Buffer.alloc(700_000, 7));
    await writeFile(join(ctxDir, 'sub', 'empty.txt'), '');
    await writeFile(join(ctxDir, 'linked.txt'), 'one inode\n');
    await link(join(ctxDir, 'linked.txt'), join(ctxDir, 'sub', 'linked-too.txt'));
    await symlink('../a.txt', join(ctxDir, 'sub', 'to-a'));
    await utimes(join(ctxDir, 'a.txt'), 1_600_000_000.25, 1_600_000_000.75);
    await utimes(join(ctxDir, 'sub'), 1_500_000_000, 1_500_000_000);
    layerOnly = await harness({ snapshotter: 'overlayfs', locals: { ctx: ctxDir }, targetsReadAsFiles: false });
    withFiles = await harness({ snapshotter: 'overlayfs', locals: { ctx: ctxDir }, targetsReadAsFiles: true });
    await storeBusybox(layerOnly.root, BASE);
    await storeBusybox(withFiles.root, BASE);
  });
  afterAll(async () => {
    await layerOnly?.close();
    await withFiles?.close();
    await rm(ctxDir, { recursive: true, force: true });
  });

  // WORKDIR /app, then COPY . ./src/: the copy's directory sits under one the base has.
  const copied = (): State =>
    image(BASE)
      .file(mkdirAction('/app', 0o755, { makeParents: true }), { customName: 'WORKDIR /app' })
      .file(copy(local('ctx'), '/', '/app/src/', { copyDirContents: true, createDestPath: true }), { customName: 'COPY . ./src/' });

  async function diffIDs(h: Harness, result: { id: string }): Promise<string[]> {
    return Promise.all((await h.executor.layersOf(result)).map((l) => l.diffID()));
  }

  async function sourceKind(h: Harness, result: { id: string }): Promise<string | undefined> {
    return (await h.executor.refs.load(result.id))?.record?.source.kind;
  }

  test('gives the layer the copied snapshot would export, byte for byte', async () => {
    // A new top-level directory: under WORKDIR the copy would also write /app, whose time is
    // the time of the copy, in either way of making the layer.
    const topLevel = (): State =>
      image(BASE).file(copy(local('ctx'), '/', '/src/', { copyDirContents: true, createDestPath: true }), { customName: 'COPY . /src/' });
    const a = ok(await build(layerOnly, topLevel()));
    const b = ok(await build(withFiles, topLevel()));
    expect(await sourceKind(layerOnly, a)).toBe('layer');
    expect(await sourceKind(withFiles, b)).toBe('snapshot');
    const [la, lb] = [await diffIDs(layerOnly, a), await diffIDs(withFiles, b)];
    expect(la).toHaveLength(2);
    expect(la).toEqual(lb);
    // Nothing of the copy was made as a snapshot: the layer is a blob of the store, and it does
    // not count as a base layer.
    expect(layerOnly.executor.baseLayerCountOf(a)).toBe(1);
  });

  test('built again after an edit, it takes the unchanged files from its previous layer', async () => {
    const topLevel = (): State =>
      image(BASE).file(copy(local('ctx'), '/', '/src/', { copyDirContents: true, createDestPath: true }), { customName: 'COPY . /src/' });
    await writeFile(join(ctxDir, 'a.txt'), 'alpha, edited\n');
    try {
      await layerOnly.reopen({ targetsReadAsFiles: false });
      const events: SolveEvent[] = [];
      const a = ok(await build(layerOnly, topLevel(), { onEvent: (e) => events.push(e) }));
      const reused = events.filter((e) => e.type === 'status' && e.id.endsWith('files taken from the previous layer'));
      // a.txt changed; run.sh, big.bin and empty.txt did not (the two linked files are copied).
      expect(reused.map((e) => e.type === 'status' && e.id)).toEqual(['3 of 4 files taken from the previous layer']);
      const b = ok(await build(withFiles, topLevel()));
      expect(await diffIDs(layerOnly, a)).toEqual(await diffIDs(withFiles, b));
    } finally {
      await writeFile(join(ctxDir, 'a.txt'), 'alpha\n');
      await utimes(join(ctxDir, 'a.txt'), 1_600_000_000.25, 1_600_000_000.75);
    }
  });

  test('a later build that mounts the result gets the copied files', async () => {
    const first = ok(await build(layerOnly, copied()));
    await layerOnly.reopen({ targetsReadAsFiles: false });
    const state = copied()
      .run(['/bin/sh', '-c', 'cat /app/src/a.txt /app/src/sub/to-a > /out && stat -c %a /app/src/sub/run.sh >> /out'], { customName: 'RUN cat' })
      .root();
    const second = await build(layerOnly, state);
    expect(second.ran).not.toContain('COPY . ./src/');
    const dir = await layerOnly.executor.readableDir(ok(second));
    try {
      expect(await readFile(join(dir.path, 'out'), 'utf8')).toBe('alpha\nalpha\n750\n');
      const big = await readFile(join(dir.path, 'app/src/sub/deep/big.bin'));
      expect(big.equals(Buffer.alloc(700_000, 7))).toBe(true);
      const [one, two] = await Promise.all([stat(join(dir.path, 'app/src/linked.txt')), stat(join(dir.path, 'app/src/sub/linked-too.txt'))]);
      expect(one.ino).toBe(two.ino);
      expect((await stat(join(dir.path, 'app/src/a.txt'))).mtimeMs).toBe(1_600_000_000_000);
      expect((await stat(join(dir.path, 'app/src/sub'))).mtimeMs).toBe(1_500_000_000_000);
      expect((await stat(join(dir.path, 'app/src/empty'))).isDirectory()).toBe(true);
    } finally {
      await dir.release();
    }
    // The mounting build's own layer sits on the copy's blob.
    expect(await diffIDs(layerOnly, ok(second))).toEqual([...(await diffIDs(layerOnly, first)), expect.any(String)]);
  });

  test('pruning dangling data keeps what a written layer stands on', async () => {
    await layerOnly.executor.close();
    const r = await prune(layerOnly.root);
    expect(r.removedSnapshots).toBe(0);
    await layerOnly.reopen({ targetsReadAsFiles: false });
    const again = await build(layerOnly, copied().run(['/bin/sh', '-c', 'cat /app/src/a.txt > /out'], { customName: 'RUN again' }).root());
    expect(again.ran.filter((n) => !n.includes('://'))).toEqual(['RUN again']);
  });

  test('a copy a step of the same build mounts is made as files', async () => {
    await layerOnly.reopen({ targetsReadAsFiles: false });
    const state = image(BASE)
      .file(copy(local('ctx'), '/', '/other/', { copyDirContents: true, createDestPath: true }), { customName: 'COPY . /other/' })
      .run(['/bin/sh', '-c', 'ls /other > /listing'], { customName: 'RUN ls' })
      .root();
    const b = await build(layerOnly, state);
    expect(b.ran).toEqual(expect.arrayContaining(['COPY . /other/', 'RUN ls']));
    const layers = (await layerOnly.executor.refs.load(ok(b).id))!.layers;
    expect(layers).toHaveLength(3);
    expect(layers[1]!.snapshot).toBeDefined();
    expect(layers[1]!.built).toBeUndefined();
  });
});
