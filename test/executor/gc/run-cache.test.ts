// Containers: a RUN's result is build cache; the base's image-store entry is not, and neither is
// its unpacked filesystem while the image is stored. After `prune --all` the RUN runs again on
// the same base.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { image } from '../../../llb/index.ts';
import { prune, usage } from '../../../executor/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { storeBusybox } from '../e2e/helpers.ts';
import { build, harness, ok, ranSteps, readResult, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc', 'tar'] });
const BASE = 'tsbuild.test/busybox-gc:1';

describe.runIf(run)('prune with RUN steps', () => {
  let root: string;
  let h: Harness;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsbuild-gc-run-'));
    await storeBusybox(root, BASE);
    h = await harness({}, root);
  });
  afterAll(async () => {
    await h?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const graph = () => image(BASE).run(['/bin/sh', '-c', 'echo built > /out.txt'], { customName: 'RUN echo' }).root();

  test('--all drops the RUN, keeps the base image and its unpacked layers; the rebuild runs', async () => {
    const first = await build(h, graph());
    expect(ranSteps(first.ran)).toEqual(['RUN echo']);
    await h.reopen();
    expect(ranSteps((await build(h, graph())).ran)).toEqual([]);

    const before = await usage(root);
    expect(before.categories.find((c) => c.name === 'snapshots')!.size).toBeGreaterThan(0);
    await h.close();
    const r = await prune(root, { all: true });
    // The RUN's snapshot goes; the base image's unpacked layer stays with the image, as docker's
    // store keeps an image's layers (removing the image lets the next prune take it).
    expect(r.removedSnapshots).toBe(1);
    const after = await usage(root);
    expect(after.categories.find((c) => c.name === 'snapshots')!.count).toBe(1);
    expect(after.categories.find((c) => c.name === 'content')!.reclaimable).toBe(0);
    await writeFile(join(root, 'contenthash.bin'), 'x');
    expect((await prune(root, { all: true })).removedSnapshots).toBe(0);
    // All build cache includes the remembered file digests.
    expect(existsSync(join(root, 'contenthash.bin'))).toBe(false);

    h = await harness({}, root);
    expect(await h.executor.stores.images.resolve(BASE)).toBeDefined();
    const again = await build(h, graph());
    expect(ranSteps(again.ran)).toEqual(['RUN echo']);
    expect(await readResult(h, ok(again), 'out.txt')).toBe('built\n');

    await h.close();
    await h.executor.stores.images.remove(BASE);
    expect((await prune(root, { all: true })).removedSnapshots).toBe(2);
    h = await harness({}, root);
  }, 120_000);
});
