// The one place that maps an LLB op kind to its implementation.
import { opKind } from '../llb/index.ts';
import type { CacheMap, Op, OpResolver, Result, Vertex } from '../solver/index.ts';
import { DiffOpImpl, ExecOpImpl, FileOpImpl, MergeOpImpl, sourceOp, UnsupportedOpError, type OpsContext } from './ops/index.ts';

class UnsupportedOp implements Op {
  readonly #message: string;
  constructor(message: string) {
    this.#message = message;
  }
  cacheMap(): Promise<CacheMap> {
    return Promise.reject(new UnsupportedOpError(this.#message));
  }
  exec(): Promise<Result[]> {
    return Promise.reject(new UnsupportedOpError(this.#message));
  }
}

export function createResolver(ctx: OpsContext): OpResolver {
  return {
    resolve(vertex: Vertex): Op {
      const kind = opKind(vertex.op);
      switch (kind) {
        case 'source':
          return sourceOp(ctx, vertex);
        case 'exec':
          return new ExecOpImpl(ctx, vertex);
        case 'file':
          return new FileOpImpl(ctx, vertex);
        case 'merge':
          return new MergeOpImpl(ctx, vertex);
        case 'diff':
          return new DiffOpImpl(ctx, vertex);
        case 'build':
        case 'passthrough':
        default:
          return new UnsupportedOp(`${String(kind)} ops are not supported by this builder`);
      }
    },
    loadResult(id: string): Promise<Result | undefined> {
      return ctx.refs.load(id);
    },
  };
}
