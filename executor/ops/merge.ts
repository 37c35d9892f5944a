// Merge ops: the inputs stacked in order. Nothing is copied or unpacked here; the ref's layers
// are its inputs' layers concatenated, so an exported merge reuses their blobs byte for byte
// (COPY --link), and its filesystem is assembled only when a step reads it.
import type { MergeOp } from '../../llb/index.ts';
import type { CacheMap, Op, OpContext, Result, Vertex } from '../../solver/index.ts';
import { asRef } from '../refs/index.ts';
import type { OpsContext } from './context.ts';
import { opDigest } from './cache-digest.ts';

export const MERGE_KEY = 'tsbuild.merge.v1';

export class MergeOpImpl implements Op {
  readonly #ctx: OpsContext;
  readonly #vertex: Vertex;
  readonly #op: MergeOp;

  constructor(ctx: OpsContext, vertex: Vertex) {
    this.#ctx = ctx;
    this.#vertex = vertex;
    this.#op = vertex.op.merge!;
  }

  async cacheMap(): Promise<CacheMap> {
    return { digest: opDigest(MERGE_KEY, { inputs: (this.#op.inputs ?? []).map((i) => i.input ?? 0) }), deps: this.#vertex.inputs.map(() => ({})) };
  }

  async exec(_ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
    const parts = (this.#op.inputs ?? [])
      .map((i) => i.input ?? 0)
      .filter((i) => i >= 0)
      .map((i) => asRef(inputs[i]!));
    return [await this.#ctx.refs.merge(parts)];
  }
}
