// A build whose output is an image in the local store writes each base-chain step's layer once
// the build is quiet: after the solve, before any export, the layer's blob is stored.
// Steps off the chain (a stage only copied from) and builds without that output write none.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { copy, marshal, mkdir as mkdirAction, mkfile, scratch, type State } from '../../../llb/index.ts';
import { loadDefinitions, solve } from '../../../solver/index.ts';
import { baseChain, LayerPrefetcher } from '../../../executor/layer-prefetch.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { harness, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['tar'] });

describe.runIf(run)('layer prefetch', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** Solves `state` (with the prefetching resolver when asked); the number of blobs stored by the time the executor closed. */
  async function blobsAfter(state: State, prefetch: boolean): Promise<number> {
    h = await harness({ snapshotter: 'overlayfs' });
    const graph = loadDefinitions([marshal(state)]);
    const targets = graph.targets.filter((t) => t !== undefined);
    const outcome = await solve(graph, { resolver: prefetch ? h.executor.prefetchingResolver(targets, 0) : h.executor.resolver, store: h.store });
    expect(outcome.ok).toBe(true);
    // The writes start once the build is quiet (0 ms here); close() waits for those under way.
    await new Promise((r) => setTimeout(r, 20));
    await h.reopen();
    return (await h.executor.stores.content.list()).length;
  }

  test('writes the layers of the target chain, and only with the prefetching resolver', async () => {
    const side = scratch().file(mkfile('/side.txt', 0o644, 'only copied from'), { customName: 'side' });
    const state = scratch()
      .file(mkfile('/a.txt', 0o644, 'first'), { customName: 'first' })
      .file(copy(side, '/side.txt', '/b.txt'), { customName: 'second' });
    expect(await blobsAfter(state, false)).toBe(0);
    // Two steps on the chain (first, second); `side` is not.
    expect(await blobsAfter(state, true)).toBe(2);
  });

  test('a layer written on the worker thread is the tar the export would write', async () => {
    h = await harness({ snapshotter: 'overlayfs' });
    const state = scratch()
      .file(mkfile('/a.txt', 0o640, 'first'), { customName: 'first' })
      .file(mkdirAction('/d/e', 0o711, { makeParents: true }), { customName: 'dirs' })
      .file(mkfile('/d/e/b.txt', 0o600, 'second'), { customName: 'second' });
    const graph = loadDefinitions([marshal(state)]);
    const outcome = await solve(graph, {
      resolver: h.executor.prefetchingResolver(
        graph.targets.filter((t) => t !== undefined),
        0,
      ),
      store: h.store,
    });
    if (!outcome.ok) throw new Error(outcome.failure.message);
    await new Promise((r) => setTimeout(r, 20));
    await h.reopen();
    const ref = (await h.executor.refs.load(outcome.results[0]!.id))!;
    const recorded = await Promise.all((await h.executor.layersOf(ref)).map((l) => l.diffID()));
    const direct = await Promise.all(ref.layers.map((e) => sha256Of(h!.executor.snapshotter.layerTar(e.snapshot!))));
    expect(recorded).toEqual(direct);
    expect(await h.executor.stores.content.list()).toHaveLength(3);
  });

  test('the chain follows the root mount, the file op base and merge inputs', () => {
    const base = scratch().file(mkfile('/a', 0o644, 'a'), { customName: 'a' });
    const side = scratch().file(mkfile('/s', 0o644, 's'), { customName: 's' });
    const top = base.file(copy(side, '/s', '/s'), { customName: 'top' });
    const graph = loadDefinitions([marshal(top)]);
    const chain = baseChain(graph.targets.filter((t) => t !== undefined));
    const names = new Map([...graph.order].map((v) => [v.digest, v.name]));
    expect([...chain.keys()].map((d) => names.get(d)).sort()).toEqual(['a', 'top']);
  });
});

describe('layer prefetch timing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('writes nothing while steps keep finishing, everything queued once the build is quiet', async () => {
    vi.useFakeTimers();
    const written: string[] = [];
    const p = new LayerPrefetcher(async (r) => void written.push(r.id), 200);
    // One-line RUNs finishing every 90 ms: their layers are left to the export.
    for (const id of ['a', 'b', 'c']) {
      p.add({ id });
      await vi.advanceTimersByTimeAsync(90);
    }
    expect(written).toEqual([]);
    // Then a long step: 200 ms without a finished step.
    await vi.advanceTimersByTimeAsync(120);
    expect(written).toEqual(['a', 'b', 'c']);
    // A file op at work holds the writes back, however long it takes.
    const done = p.busy();
    p.add({ id: 'e' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toEqual(['a', 'b', 'c']);
    done();
    await vi.advanceTimersByTimeAsync(199);
    expect(written).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(1);
    expect(written).toEqual(['a', 'b', 'c', 'e']);
    p.add({ id: 'd' });
    await p.close();
    await vi.advanceTimersByTimeAsync(500);
    expect(written).toEqual(['a', 'b', 'c', 'e']);
  });
});

async function sha256Of(tar: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of tar) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}
