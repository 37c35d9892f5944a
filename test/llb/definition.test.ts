import { describe, expect, it } from 'vitest';
import {
  checkAcyclic,
  decodeDefinition,
  definitionFromBytes,
  definitionToBytes,
  DefinitionError,
  DecodeError,
  digestOf,
  encodeOp,
  image,
  marshal,
  scratch,
  type Definition,
  type Op,
} from '../../llb/index.ts';

const src = encodeOp({ source: { identifier: 'docker-image://docker.io/library/busybox:latest' }, constraints: {} });
const srcDigest = digestOf(src);
const terminal = (d = srcDigest) => encodeOp({ inputs: [{ digest: d }] });

function problem(def: Definition): DefinitionError {
  try {
    decodeDefinition(def);
  } catch (err) {
    if (err instanceof DefinitionError) return err;
    throw err;
  }
  throw new Error('expected a DefinitionError');
}

describe('decodeDefinition', () => {
  it('returns ops with digests in order, the head and metadata', () => {
    const def = marshal(image('busybox').run(['true'], { customName: 'noop' }).root(), { platform: 'linux/amd64' });
    const d = decodeDefinition(def);
    expect(d.ops.map((o) => o.kind)).toEqual(['source', 'exec']);
    expect(d.ops.map((o) => o.index)).toEqual([0, 1]);
    expect(d.ops.every((o) => o.digest === digestOf(o.bytes))).toBe(true);
    expect(d.head).toEqual({ digest: d.ops[1]!.digest });
    expect(d.ops[1]!.metadata?.description).toEqual({ 'llb.customname': 'noop' });
    expect(d.metadata[d.terminalDigest!]!.caps).toMatchObject({ constraints: true, platform: true, 'meta.description': true });
  });

  it('accepts an empty definition (scratch) with no head', () => {
    expect(marshal(scratch())).toEqual({ def: [] });
    expect(decodeDefinition({ def: [] }).head).toBeUndefined();
  });

  it('names truncated op bytes with the op index', () => {
    const e = problem({ def: [src.subarray(0, 10), terminal()] });
    expect(e.problem).toBe('truncated');
    expect(e.opIndex).toBe(0);
    expect(e.message).toMatch(/^op 0: cannot decode op bytes/);
  });

  it('reports an unknown op kind', () => {
    const weird = new Uint8Array([0x4a, 0x00, 0x5a, 0x00]); // field 9 (not an op kind we know)
    const e = problem({ def: [src, weird, terminal()] });
    expect(e.problem).toBe('unknown-op-kind');
    expect(e.opIndex).toBe(1);
    expect(e.message).toContain('unknown field 9');
  });

  it('reports an input digest that is not in the definition', () => {
    const missing = 'sha256:' + 'c'.repeat(64);
    const exec = encodeOp({ inputs: [{ digest: missing as `sha256:${string}` }], exec: { meta: { args: ['x'], cwd: '/' }, mounts: [{ dest: '/' }] } });
    const e = problem({ def: [src, exec, terminal(digestOf(exec))] });
    expect(e.problem).toBe('input-not-in-definition');
    expect(e.opIndex).toBe(1);
    expect(e.message).toBe(`op 1: input 0 digest ${missing} is not in the definition`);
  });

  it('reports a definition without a terminal op', () => {
    const e = problem({ def: [src] });
    expect(e.problem).toBe('no-terminal-op');
    expect(e.message).toMatch(/op 0: no terminal op: the last op is a source op/);
  });

  it('reports a mount referring to a missing input', () => {
    const exec = encodeOp({ inputs: [{ digest: srcDigest }], exec: { meta: { args: ['x'] }, mounts: [{ input: 3, dest: '/' }] } });
    const e = problem({ def: [src, exec, terminal(digestOf(exec))] });
    expect(e.problem).toBe('input-out-of-range');
    expect(e.message).toContain('mount 0 (/) refers to input 3');
  });

  it('detects cycles', () => {
    // Real digests cannot form a cycle (each names its inputs' bytes), so the graph check is tested directly.
    expect(() =>
      checkAcyclic([
        { index: 0, digest: 'a', inputs: ['c'] },
        { index: 1, digest: 'b', inputs: ['a'] },
        { index: 2, digest: 'c', inputs: ['b'] },
      ]),
    ).toThrow(expect.objectContaining({ problem: 'cycle' }));
    expect(() =>
      checkAcyclic([
        { index: 0, digest: 'a', inputs: [] },
        { index: 1, digest: 'b', inputs: ['a', 'a'] },
      ]),
    ).not.toThrow();
  });

  it('drops duplicate ops', () => {
    expect(decodeDefinition({ def: [src, src, terminal()] }).ops).toHaveLength(1);
  });
});

describe('Definition bytes', () => {
  it('round-trips through definitionToBytes/definitionFromBytes', () => {
    const def = marshal(image('busybox').run('echo hi').root(), { platform: 'linux/amd64' });
    const back = definitionFromBytes(definitionToBytes(def));
    expect(back).toEqual(def);
  });

  it('refuses bytes that are not a definition', () => {
    expect(() => definitionFromBytes(new Uint8Array([0x0a, 0x50, 0x01]))).toThrow(DecodeError);
    expect(() => definitionFromBytes(new TextEncoder().encode('FROM busybox\n'))).toThrow(/not an LLB definition/);
  });

  it('decodes an op shape the solver relies on', () => {
    const def = marshal(image('busybox'), { platform: 'linux/arm64/v8' });
    const op: Op = decodeDefinition(def).ops[0]!.op;
    expect(op.platform).toEqual({ os: 'linux', architecture: 'arm64' });
  });
});
