import { describe, expect, it } from 'vitest';
import { digestOf, encodeOp, type Definition, type Digest, type Op } from '../../llb/index.ts';
import { GraphError, loadDefinitions, loadGraph, type LoadOp } from '../../solver/index.ts';
import { FakeGraph, sha } from './fakes.ts';

function expectGraphError(fn: () => unknown, reason: GraphError['reason'], text: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).reason).toBe(reason);
    expect((err as GraphError).message).toMatch(text);
    return;
  }
  throw new Error('expected a GraphError');
}

describe('loadGraph', () => {
  it('links inputs and orders every vertex after its inputs', () => {
    const g = new FakeGraph();
    const a = g.const('a', 1);
    const b = g.sum('b', [a]);
    const t = g.sum('t', [b, a]);
    const graph = loadGraph(g.input(t));
    expect(graph.order.map((v) => v.name)).toEqual(['a', 'b', 't']);
    const tv = graph.vertices.get(t.digest)!;
    expect(tv.inputs.map((i) => i.vertex.name)).toEqual(['b', 'a']);
    expect(tv.inputs[1]!.vertex).toBe(graph.vertices.get(a.digest));
    expect(graph.targets[0]!.vertex).toBe(tv);
  });

  it('keeps only what the targets reach', () => {
    const g = new FakeGraph();
    g.const('unused', 9);
    const t = g.sum('t', [g.const('a', 1)]);
    expect(loadGraph(g.input(t)).order.map((v) => v.name)).toEqual(['a', 't']);
  });

  it('dedupes identical vertices across several targets, merging ignoreCache', () => {
    const g1 = new FakeGraph();
    const shared1 = g1.const('shared', 1);
    const t1 = g1.sum('t1', [shared1]);
    const g2 = new FakeGraph();
    const shared2 = g2.const('shared', 1);
    const t2 = g2.sum('t2', [shared2], { value: 5 });
    const in2 = g2.input(t2);
    const withIgnore = { ...in2, ops: in2.ops.map((o) => (o.digest === shared2.digest ? { ...o, metadata: { ...o.metadata, ignoreCache: true } } : o)) };
    const graph = loadGraph([g1.input(t1), withIgnore]);
    expect(shared1.digest).toBe(shared2.digest);
    expect(graph.order).toHaveLength(3);
    expect(graph.vertices.get(t1.digest)!.inputs[0]!.vertex).toBe(graph.vertices.get(t2.digest)!.inputs[0]!.vertex);
    expect(graph.vertices.get(shared1.digest)!.metadata.ignoreCache).toBe(true);
    expect(graph.targets.map((t) => t!.vertex.name)).toEqual(['t1', 't2']);
  });

  it('refuses a dangling input', () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('a', 1)]);
    const input = g.input(t);
    const broken = { ...input, ops: input.ops.filter((o) => o.op.source?.attrs?.name !== 'a') };
    expectGraphError(() => loadGraph(broken), 'dangling-input', /uses input sha256:[0-9a-f]+, which is not in the definition/);
  });

  it('refuses a terminal that names no op of the definition', () => {
    const g = new FakeGraph();
    const t = g.const('a', 1);
    expectGraphError(() => loadGraph({ ops: g.input(t).ops, terminal: { digest: sha('nope') } }), 'missing-terminal', /not one of its ops/);
  });

  it('takes a definition without a terminal (scratch) as a target with nothing to build', () => {
    const g = new FakeGraph();
    const t = g.sum('t', [g.const('a', 1)]);
    const graph = loadGraph([{ ops: [], terminal: undefined }, g.input(t)]);
    expect(graph.targets).toHaveLength(2);
    expect(graph.targets[0]).toBeUndefined();
    expect(graph.targets[1]!.vertex.name).toBe('t');
    expect(graph.order.map((v) => v.name)).toEqual(['a', 't']);
  });

  it('refuses a cycle, naming the vertices on it', () => {
    const da = sha('a');
    const db = sha('b');
    const dc = sha('c');
    const op = (name: string, inputs: Digest[]): Op => ({ inputs: inputs.map((digest) => ({ digest })), source: { identifier: name } });
    const ops: LoadOp[] = [
      { digest: da, op: op('a', [db]) },
      { digest: db, op: op('b', [dc]) },
      { digest: dc, op: op('c', [da]) },
    ];
    expectGraphError(() => loadGraph({ ops, terminal: { digest: da } }), 'cycle', /cycle: "a" .* → "b" .* → "c" .* → "a"/);
  });

  it('handles a 20,000-step chain without exhausting the stack', () => {
    const g = new FakeGraph();
    let ref = g.const('c0', 0);
    for (let i = 1; i < 20_000; i++) ref = g.sum(`s${i}`, [ref]);
    expect(loadGraph(g.input(ref)).order).toHaveLength(20_000);
  });
});

describe('loadDefinitions', () => {
  function definition(ops: Op[], target: number): Definition {
    const bytes = ops.map((o) => encodeOp(o));
    const digests = bytes.map((b) => digestOf(b));
    const terminal = encodeOp({ inputs: [{ digest: digests[target]! }] });
    return { def: [...bytes, terminal], metadata: { [digests[0]!]: { description: { 'llb.customname': 'base image' } } } };
  }

  it('decodes real LLB bytes and names vertices from metadata', () => {
    const src: Op = { source: { identifier: 'docker-image://docker.io/library/alpine:3.20' } };
    const srcDigest = digestOf(encodeOp(src));
    const exec: Op = { inputs: [{ digest: srcDigest }], exec: { meta: { args: ['/bin/sh', '-c', 'true'] }, mounts: [{ input: 0, dest: '/', output: 0 }] } };
    const graph = loadDefinitions(definition([src, exec], 1));
    expect(graph.order.map((v) => v.name)).toEqual(['base image', '/bin/sh -c true']);
    expect(graph.order[0]!.digest).toBe(srcDigest);
  });

  it('dedupes across definitions solved together', () => {
    const src: Op = { source: { identifier: 'local://context' } };
    const srcDigest = digestOf(encodeOp(src));
    const mk = (arg: string): Op => ({ inputs: [{ digest: srcDigest }], exec: { meta: { args: [arg] }, mounts: [{ input: 0, dest: '/', output: 0 }] } });
    const graph = loadDefinitions([definition([src, mk('a')], 1), definition([src, mk('b')], 1)]);
    expect(graph.order).toHaveLength(3);
    expect(graph.targets).toHaveLength(2);
  });

  it('loads an empty definition (scratch) as one target with nothing to build', () => {
    const graph = loadDefinitions({ def: [] });
    expect(graph.targets).toEqual([undefined]);
    expect(graph.order).toEqual([]);
  });

  it('turns an undecodable definition into a GraphError', () => {
    expectGraphError(() => loadDefinitions({ def: [encodeOp({ source: { identifier: 'x' } })] }), 'invalid-definition', /cannot be loaded: .*terminal/);
  });
});
