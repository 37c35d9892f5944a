// Diff ops: the changes from `lower` to `upper`. When upper was built on lower, the diff is
// upper's own layers (blobs reused); otherwise one new layer computed from the two trees.
import type { DiffOp } from '../../llb/index.ts';
import type { CacheMap, Op, OpContext, Result, Vertex } from '../../solver/index.ts';
import { asRef } from '../refs/index.ts';
import type { OpsContext } from './context.ts';
import { opDigest } from './cache-digest.ts';

export const DIFF_KEY = 'tsbuild.diff.v1';

export class DiffOpImpl implements Op {
  readonly #ctx: OpsContext;
  readonly #vertex: Vertex;
  readonly #op: DiffOp;

  constructor(ctx: OpsContext, vertex: Vertex) {
    this.#ctx = ctx;
    this.#vertex = vertex;
    this.#op = vertex.op.diff!;
  }

  async cacheMap(): Promise<CacheMap> {
    return {
      digest: opDigest(DIFF_KEY, { lower: this.#op.lower?.input ?? 0, upper: this.#op.upper?.input ?? 0 }),
      deps: this.#vertex.inputs.map(() => ({})),
    };
  }

  async exec(_ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
    const at = (i: number | undefined) => ((i ?? 0) >= 0 && inputs[i ?? 0] ? asRef(inputs[i ?? 0]!) : undefined);
    const lower = at(this.#op.lower?.input);
    const upper = at(this.#op.upper?.input);
    if (!upper) return [await this.#ctx.refs.create({ kind: 'empty' }, [])];
    return [await this.#ctx.refs.diff(lower, upper, this.#vertex.name)];
  }
}
