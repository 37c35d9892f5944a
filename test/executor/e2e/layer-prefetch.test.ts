// A build whose output is an image in the local store writes each base-chain step's layer as
// soon as the step is done: after the solve, before any export, the layer's blob is stored.
// Steps off the chain (a stage only copied from) and builds without that output write none.
import { afterEach, describe, expect, test } from 'vitest';
import { copy, marshal, mkfile, scratch, type State } from '../../../llb/index.ts';
import { loadDefinitions, solve } from '../../../solver/index.ts';
import { baseChain } from '../../../executor/layer-prefetch.ts';
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
    const outcome = await solve(graph, { resolver: prefetch ? h.executor.prefetchingResolver(targets) : h.executor.resolver, store: h.store });
    expect(outcome.ok).toBe(true);
    // close() waits for the layer writes it started.
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
