import { describe, expect, it } from 'vitest';
import { loadGraph, MemoryCacheStore, solve, type SolveEvent, type SolveOptions, type SolveOutcome, type VertexEvent } from '../../solver/index.ts';
import { FakeGraph, FakeResolver, settle, type NumResult, type Ref } from './fakes.ts';

function run(g: FakeGraph, targets: Ref | Ref[], opts: Partial<SolveOptions> & { resolver: FakeResolver; store: MemoryCacheStore }): Promise<SolveOutcome> {
  const list = Array.isArray(targets) ? targets : [targets];
  return solve(loadGraph(list.map((t) => g.input(t))), { maxParallelism: 4, ...opts });
}

function value(outcome: SolveOutcome, i = 0): number {
  if (!outcome.ok) throw new Error(`solve failed: ${outcome.failure.message}`);
  return (outcome.results[i] as NumResult).value;
}

function statusOf(outcome: SolveOutcome, ref: Ref): string | undefined {
  return outcome.vertices.get(ref.digest)?.status;
}

describe('solve: arithmetic', () => {
  it('computes sums over a diamond and runs the shared vertex once', async () => {
    const g = new FakeGraph();
    const c = g.const('c', 3);
    const a = g.sum('a', [c], { value: 1 });
    const b = g.sum('b', [c], { value: 10 });
    const t = g.sum('t', [a, b, c]);
    const resolver = new FakeResolver();
    const out = await run(g, t, { resolver, store: new MemoryCacheStore() });
    expect(value(out)).toBe(4 + 13 + 3);
    expect(resolver.count('exec', 'c')).toBe(1);
    expect(resolver.count('cacheMap', 'c')).toBe(1);
    expect(statusOf(out, t)).toBe('ran');
  });

  it('solves several targets together: shared vertices run once, one result per target', async () => {
    const g = new FakeGraph();
    const shared = g.const('shared', 5);
    const t1 = g.sum('t1', [shared], { value: 1 });
    const t2 = g.sum('t2', [shared], { value: 2 });
    const resolver = new FakeResolver();
    const out = await run(g, [t1, t2], { resolver, store: new MemoryCacheStore() });
    expect(value(out, 0)).toBe(6);
    expect(value(out, 1)).toBe(7);
    expect(resolver.count('exec', 'shared')).toBe(1);
  });

  it('an empty target (scratch) yields no result and runs nothing, beside a target that builds', async () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('c', 2)], { value: 1 });
    const resolver = new FakeResolver();
    const events: SolveEvent[] = [];
    const alone = await solve(loadGraph({ ops: [], terminal: undefined }), { resolver, store: new MemoryCacheStore(), onEvent: (e) => events.push(e) });
    expect(alone).toMatchObject({ ok: true, results: [undefined] });
    expect(alone.vertices.size).toBe(0);
    expect(events).toEqual([]);
    const both = await solve(loadGraph([{ ops: [], terminal: undefined }, g.input(t)]), { resolver, store: new MemoryCacheStore() });
    expect(both.ok && both.results[0]).toBeUndefined();
    expect(value(both, 1)).toBe(3);
  });

  it('a second solve hits the target by definition key: inputs are neither run nor loaded', async () => {
    const g = new FakeGraph();
    const a = g.const('a', 1);
    const b = g.const('b', 2);
    const t = g.sum('t', [a, b]);
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    await run(g, t, { resolver, store });
    resolver.resetCounts();

    const out = await run(g, t, { resolver, store });
    expect(value(out)).toBe(3);
    expect(statusOf(out, t)).toBe('cached');
    expect(out.vertices.get(t.digest)?.hit).toBe('definition');
    for (const name of ['a', 'b', 't']) expect(resolver.count('exec', name)).toBe(0);
    expect(resolver.count('load', 'a') + resolver.count('load', 'b')).toBe(0);
    expect(resolver.count('load', 't')).toBe(1);
    expect(statusOf(out, a)).toBe('skipped');
    expect(statusOf(out, b)).toBe('skipped');
  });

  it('non-semantic metadata (names) does not change keys', async () => {
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    const t1 = g1.sum('total', [g1.const('one', 1)]);
    const o1 = await run(g1, t1, { resolver, store });
    const g2 = new FakeGraph();
    const t2 = g2.sum('renamed total', [g2.const('renamed one', 1)]);
    const o2 = await run(g2, t2, { resolver, store });
    expect(statusOf(o2, t2)).toBe('cached');
    expect(o2.vertices.get(t2.digest)?.definitionKeys.get(0)).toBe(o1.vertices.get(t1.digest)?.definitionKeys.get(0));
  });

  it('a content key hits after an input was rebuilt to the same value', async () => {
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    const t1 = g1.sum('t', [g1.const('src', 2, { seed: 'v1' })], { content: true, value: 100 });
    expect(value(await run(g1, t1, { resolver, store }))).toBe(102);
    resolver.resetCounts();

    // The source's definition changed (new seed) but it produces the same value.
    const g2 = new FakeGraph();
    const src2 = g2.const('src', 2, { seed: 'v2' });
    const t2 = g2.sum('t', [src2], { content: true, value: 100 });
    const out = await run(g2, t2, { resolver, store });
    expect(value(out)).toBe(102);
    expect(resolver.count('exec', 'src')).toBe(1);
    expect(resolver.count('exec', 't')).toBe(0);
    expect(out.vertices.get(t2.digest)?.hit).toBe('content');
    expect(out.vertices.get(t2.digest)?.inputs[0]?.content).toMatch(/^sha256:/);

    // The content hit linked the new definition key: a third solve does not even build src.
    resolver.resetCounts();
    const again = await run(g2, t2, { resolver, store });
    expect(out.vertices.get(t2.digest)?.definitionKeys.get(0)).toBe(again.vertices.get(t2.digest)?.definitionKeys.get(0));
    expect(again.vertices.get(t2.digest)?.hit).toBe('definition');
    expect(resolver.count('exec', 'src')).toBe(0);
  });

  it('a content key misses when the input value changed', async () => {
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    await run(g1, g1.sum('t', [g1.const('src', 2, { seed: 'v1' })], { content: true }), { resolver, store });
    const g2 = new FakeGraph();
    const t2 = g2.sum('t', [g2.const('src', 3, { seed: 'v2' })], { content: true });
    const out = await run(g2, t2, { resolver, store });
    expect(value(out)).toBe(3);
    expect(statusOf(out, t2)).toBe('ran');
  });

  it('a build context is hashed while another input of the same step still builds', async () => {
    const g = new FakeGraph();
    const ctx = g.const('ctx', 7, { seed: 'this build', perBuild: true });
    const copy = g.sum('copy', [g.gate('slow'), ctx], { content: true });
    const resolver = new FakeResolver();
    const solving = run(g, copy, { resolver, store: new MemoryCacheStore() });
    await resolver.gate('slow').started.promise;
    await settle(20);
    expect(resolver.count('content', 'copy')).toBe(1); // the context, before the slow input is done
    resolver.gate('slow').finish.resolve(1);
    expect(value(await solving)).toBe(8);
    expect(resolver.count('content', 'copy')).toBe(2); // then the slow input, once built
  });

  it('hashes that context only once the steps it waits for have started, so it does not hold them up', async () => {
    const g = new FakeGraph();
    const ctx = g.const('ctx', 7, { seed: 'this build', perBuild: true });
    const copy = g.sum('copy', [g.gate('slow', [g.gate('first')]), ctx], { content: true });
    const resolver = new FakeResolver();
    const solving = run(g, copy, { resolver, store: new MemoryCacheStore() });
    await resolver.gate('first').started.promise;
    await settle(20);
    expect(resolver.count('content', 'copy')).toBe(0); // 'slow' has not started: its input still runs
    resolver.gate('first').finish.resolve(1);
    await resolver.gate('slow').started.promise;
    await settle(20);
    expect(resolver.count('content', 'copy')).toBe(1); // 'slow' runs: now the context
    resolver.gate('slow').finish.resolve(1);
    expect(value(await solving)).toBe(9);
  });

  it('under a build context, steps hit along definition lines without reading any built input', async () => {
    // ctx stands for a build context: a new digest every build, the same data. A machine that
    // imported this cache computes the same keys: only the context itself is hashed.
    const build = (g: FakeGraph, n: number) => {
      const ctx = g.const('ctx', 7, { seed: `build ${n}`, perBuild: true });
      const w = g.sum('workdir', [g.const('base', 1)]);
      const copy = g.sum('copy', [w, ctx], { content: true });
      const run1 = g.sum('run', [copy], { value: 2 });
      return g.sum('copy-from', [run1], { content: true });
    };
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    await run(g1, build(g1, 1), { resolver, store });
    resolver.resetCounts();
    const g2 = new FakeGraph();
    const top = build(g2, 2);
    const out = await run(g2, top, { resolver, store });
    expect(value(out)).toBe(10);
    for (const name of ['copy', 'run', 'copy-from']) expect({ name, exec: resolver.count('exec', name) }).toEqual({ name, exec: 0 });
    expect(resolver.count('content', 'copy')).toBe(1); // the context, not the workdir
    expect(resolver.count('content', 'copy-from')).toBe(0);
    expect(out.vertices.get(top.digest)?.hit).toBe('content');
    // A build context's definition keys are never recorded: they could never hit again.
    const keys = new Set((await store.list()).map((r) => r.key));
    for (const r of out.vertices.values()) if (r.perBuild) for (const k of r.definitionKeys.values()) expect(keys.has(k)).toBe(false);
  });

  it("without a content function, a dependent hits through its input's content key", async () => {
    // src changes definition; mid keys by content and hits; top has no content function, and
    // names mid by mid's content key, so its own content key hits too.
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    const top1 = g1.sum('top', [g1.sum('mid', [g1.const('src', 4, { seed: 'v1' })], { content: true })], { value: 1 });
    await run(g1, top1, { resolver, store });
    resolver.resetCounts();
    const g2 = new FakeGraph();
    const top2 = g2.sum('top', [g2.sum('mid', [g2.const('src', 4, { seed: 'v2' })], { content: true })], { value: 1 });
    const out = await run(g2, top2, { resolver, store });
    expect(value(out)).toBe(5);
    expect(resolver.count('exec', 'mid')).toBe(0);
    expect(resolver.count('exec', 'top')).toBe(0);
    expect(out.vertices.get(top2.digest)?.hit).toBe('content');
  });

  it('selectors are part of the key', async () => {
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    const o1 = await run(g1, g1.sum('t', [g1.const('c', 1)], { selector: '/a' }), { resolver, store });
    const g2 = new FakeGraph();
    const t2 = g2.sum('t', [g2.const('c', 1)], { selector: '/b' });
    const o2 = await run(g2, t2, { resolver, store });
    expect(o1.ok && o2.ok).toBe(true);
    expect(statusOf(o2, t2)).toBe('ran');
  });

  it('ignoreCache vertices always run; dependents re-key by content; a later normal build hits', async () => {
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const g1 = new FakeGraph();
    const t1 = g1.sum('t', [g1.const('src', 1)], { content: true });
    await run(g1, t1, { resolver, store });
    resolver.resetCounts();

    const g2 = new FakeGraph();
    const t2 = g2.sum('t', [g2.const('src', 1, { ignoreCache: true })], { content: true });
    const out = await run(g2, t2, { resolver, store });
    expect(resolver.count('exec', 'src')).toBe(1);
    expect(resolver.count('exec', 't')).toBe(0);
    expect(out.vertices.get(t2.digest)?.hit).toBe('content');

    resolver.resetCounts();
    const out3 = await run(g1, t1, { resolver, store });
    expect(statusOf(out3, t1)).toBe('cached');
    expect(resolver.count('exec', 'src')).toBe(0);
  });

  it('noCache runs every vertex and still records results', async () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('a', 1), g.const('b', 2)]);
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    await run(g, t, { resolver, store });
    resolver.resetCounts();
    await run(g, t, { resolver, store, noCache: true });
    expect(resolver.count('exec', 'a') + resolver.count('exec', 'b') + resolver.count('exec', 't')).toBe(3);
    resolver.resetCounts();
    const out = await run(g, t, { resolver, store });
    expect(statusOf(out, t)).toBe('cached');
  });

  it('a record whose data is gone is a miss: the vertex is rebuilt', async () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('a', 1)], { value: 1 });
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const first = await run(g, t, { resolver, store });
    const id = first.vertices.get(t.digest)!.resultIds!.get(0)!;
    resolver.data.delete(id);
    resolver.resetCounts();
    const out = await run(g, t, { resolver, store });
    expect(value(out)).toBe(2);
    expect(statusOf(out, t)).toBe('ran');
    expect(resolver.count('exec', 'a')).toBe(0);
    expect(resolver.count('exec', 't')).toBe(1);
    // The new result replaced the stale record.
    const again = await run(g, t, { resolver, store });
    expect(statusOf(again, t)).toBe('cached');
  });
});

describe('solve: shapes', () => {
  it('keys and records each output of a multi-output op separately', async () => {
    const g = new FakeGraph();
    const [lo, hi] = g.pair('p', [g.const('a', 2)]);
    const t = g.sum('t', [lo, hi]);
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const out = await run(g, t, { resolver, store });
    expect(value(out)).toBe(22);
    const keys = out.vertices.get(lo.digest)!.definitionKeys;
    expect(keys.size).toBe(2);
    expect(keys.get(0)).not.toBe(keys.get(1));
    // Asking for output 1 alone later hits its own record.
    resolver.resetCounts();
    const g2 = new FakeGraph();
    const [, hi2] = g2.pair('p', [g2.const('a', 2)]);
    const alone = await run(g2, hi2, { resolver, store });
    expect(value(alone)).toBe(20);
    expect(resolver.count('exec', 'p')).toBe(0);
  });

  it('solves a 5,000-step chain cold and then fully cached', async () => {
    const g = new FakeGraph();
    let ref = g.const('c', 0);
    for (let i = 1; i < 5_000; i++) ref = g.sum(`s${i}`, [ref], { value: 1 });
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    expect(value(await run(g, ref, { resolver, store }))).toBe(4_999);
    resolver.resetCounts();
    const cached = await run(g, ref, { resolver, store });
    expect(value(cached)).toBe(4_999);
    expect([...resolver.calls.exec.values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(resolver.count('load', 's4999')).toBe(1);
  });
});

describe('solve: scheduling', () => {
  it('runs independent vertices in flight together', async () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.gate('g1'), g.gate('g2'), g.gate('g3')]);
    const resolver = new FakeResolver();
    const solving = run(g, t, { resolver, store: new MemoryCacheStore(), maxParallelism: 3 });
    // Each gate only finishes once all three have started: sequential execution would hang.
    await Promise.all(['g1', 'g2', 'g3'].map((n) => resolver.gate(n).started.promise));
    expect(resolver.inFlight).toBe(3);
    resolver.gate('g2').finish.resolve(20);
    resolver.gate('g3').finish.resolve(300);
    resolver.gate('g1').finish.resolve(1);
    expect(value(await solving)).toBe(321);
  });

  it('respects maxParallelism', async () => {
    const g = new FakeGraph();
    const names = ['g1', 'g2', 'g3', 'g4', 'g5'];
    const t = g.sum(
      't',
      names.map((n) => g.gate(n)),
    );
    const resolver = new FakeResolver();
    const solving = run(g, t, { resolver, store: new MemoryCacheStore(), maxParallelism: 2 });
    const started = () => names.filter((n) => resolver.gate(n).started.settled);
    await settle(20);
    expect(started()).toHaveLength(2);
    for (let done = 0; done < names.length; done++) {
      const running = started().filter((n) => !resolver.gate(n).finish.settled);
      expect(running.length).toBeLessThanOrEqual(2);
      resolver.gate(running[0]!).finish.resolve(1);
      await settle(20);
    }
    expect(value(await solving)).toBe(5);
    expect(resolver.maxInFlight).toBe(2);
  });

  it('honours acquire() as a per-kind limit', async () => {
    const g = new FakeGraph();
    const names = ['g1', 'g2', 'g3'];
    const t = g.sum('t', [...names.map((n) => g.gate(n)), g.const('c1', 1), g.const('c2', 2)]);
    const resolver = new FakeResolver();
    resolver.kindLimit = { kind: 'gate', limit: 1 };
    const solving = run(g, t, { resolver, store: new MemoryCacheStore(), maxParallelism: 4 });
    await settle(20);
    expect(names.filter((n) => resolver.gate(n).started.settled)).toHaveLength(1);
    // Other kinds are not held back by the gate limit.
    expect(resolver.count('exec', 'c1') + resolver.count('exec', 'c2')).toBe(2);
    for (const n of names) resolver.gate(n).finish.resolve(0);
    await settle(20);
    for (const n of names) resolver.gate(n).finish.resolve(0);
    expect(value(await solving)).toBe(3);
    expect(resolver.maxKindActive).toBe(1);
  });

  it('a failing vertex fails the solve with its error and cancels siblings in flight', async () => {
    const g = new FakeGraph();
    const slow = g.gate('slow');
    const bad = g.fail('bad', [g.gate('trigger')]);
    const t = g.sum('t', [slow, bad]);
    const resolver = new FakeResolver();
    const store = new MemoryCacheStore();
    const events: SolveEvent[] = [];
    const solving = run(g, t, { resolver, store, onEvent: (e) => events.push(e) });
    await resolver.gate('slow').started.promise;
    await resolver.gate('trigger').started.promise;
    resolver.gate('trigger').finish.resolve(1);
    const out = await solving;

    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure.reason).toBe('vertex-failed');
    if (out.failure.reason !== 'vertex-failed') return;
    expect(out.failure.digest).toBe(bad.digest);
    expect(out.failure.message).toBe('"bad" failed: bad exploded');
    expect(resolver.aborted).toEqual(['slow']);
    expect(statusOf(out, slow)).toBe('canceled');
    expect(statusOf(out, bad)).toBe('failed');
    expect(statusOf(out, t)).toBe('canceled');
    expect(resolver.inFlight).toBe(0);
    // Only the vertex that completed (trigger) has records.
    const recorded = new Set((await store.list()).map((r) => r.resultId.split('#')[0]));
    expect([...recorded]).toEqual(['trigger']);
    const vertexEvents = events.filter((e): e is VertexEvent => e.type === 'vertex');
    expect(vertexEvents.find((e) => e.digest === bad.digest && e.error)?.error).toBe('bad exploded');
    expect(vertexEvents.find((e) => e.digest === slow.digest && e.canceled)).toBeDefined();
  });

  it('an external abort cancels everything and writes nothing after it', async () => {
    const g = new FakeGraph();
    const a = g.gate('a');
    const b = g.gate('b');
    const t = g.sum('t', [a, b, g.const('c', 1)]);
    const resolver = new FakeResolver();
    const store = new MemoryCacheStore();
    const controller = new AbortController();
    const solving = run(g, t, { resolver, store, signal: controller.signal });
    await resolver.gate('a').started.promise;
    await resolver.gate('b').started.promise;
    const before = (await store.list()).length;
    controller.abort(new Error('Ctrl-C'));
    const out = await solving;
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure.reason).toBe('canceled');
    expect(resolver.aborted.sort()).toEqual(['a', 'b']);
    expect(resolver.inFlight).toBe(0);
    expect((await store.list()).length).toBe(before);
    expect(statusOf(out, t)).toBe('canceled');
  });

  it('an already aborted signal runs nothing', async () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('a', 1)]);
    const resolver = new FakeResolver();
    const out = await run(g, t, { resolver, store: new MemoryCacheStore(), signal: AbortSignal.abort() });
    expect(out.ok).toBe(false);
    expect(resolver.count('exec', 'a') + resolver.count('exec', 't')).toBe(0);
  });

  it('an op whose cacheMap throws fails the solve with that vertex named', async () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('a', 1)]);
    const resolver = new FakeResolver();
    const original = resolver.resolve.bind(resolver);
    resolver.resolve = (v) => {
      const op = original(v);
      if (v.name === 'a') op.cacheMap = async () => Promise.reject(new Error('registry unreachable'));
      return op;
    };
    const out = await run(g, t, { resolver, store: new MemoryCacheStore() });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure.message).toBe('"a" failed: registry unreachable');
    expect(resolver.count('exec', 't')).toBe(0);
  });
});

describe('solve: events', () => {
  it('reports started/completed, cached, and op logs; never anything for unknown vertices', async () => {
    const g = new FakeGraph();
    const a = g.const('a', 1);
    const t = g.sum('t', [a]);
    const store = new MemoryCacheStore();
    const resolver = new FakeResolver();
    const events: SolveEvent[] = [];
    await run(g, t, { resolver, store, onEvent: (e) => events.push(e) });
    const forT = events.filter((e) => e.type === 'vertex' && e.digest === t.digest) as VertexEvent[];
    expect(forT).toHaveLength(2);
    expect(forT[0]?.started).toBeTypeOf('number');
    expect(forT[0]?.completed).toBeUndefined();
    expect(forT[1]?.completed).toBeGreaterThanOrEqual(forT[1]!.started!);
    expect(forT[1]?.inputs).toEqual([a.digest]);
    const logs = events.filter((e) => e.type === 'log');
    expect(logs.map((l) => new TextDecoder().decode(l.data)).sort()).toEqual(['a=1\n', 't=1\n']);

    const cachedEvents: SolveEvent[] = [];
    await run(g, t, { resolver, store, onEvent: (e) => cachedEvents.push(e) });
    const vs = cachedEvents as VertexEvent[];
    expect(vs.every((e) => e.type === 'vertex' && e.cached === true)).toBe(true);
    expect(new Set(vs.map((e) => e.digest))).toEqual(new Set([a.digest, t.digest]));
  });
});
