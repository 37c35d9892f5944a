// The one place that maps an LLB op kind to its implementation. Implementations are loaded on
// first use of their kind, so a build only loads the op kinds its graph holds (a file op's
// engine, the exec op's runner) and a Dockerfile without COPY never loads the file-op code.
import { asyncOnce, opKind } from '../llb/index.ts';
import type { CacheMap, Op, OpContext, OpResolver, Result, Vertex } from '../solver/index.ts';
import type { OpsContext } from './ops/context.ts';
import { UnsupportedOpError } from './ops/errors.ts';

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

/** An op whose implementation module is imported when the solver first asks it anything. */
class LazyOp implements Op {
  readonly #get: () => Promise<Op>;
  constructor(load: () => Promise<Op>) {
    this.#get = asyncOnce(load);
  }
  async cacheMap(ctx: OpContext): Promise<CacheMap> {
    return (await this.#get()).cacheMap(ctx);
  }
  async exec(ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
    return (await this.#get()).exec(ctx, inputs);
  }
  // The solver only acquires an op it is about to run, after cacheMap: the op is loaded by then.
  async acquire(signal: AbortSignal): Promise<() => void> {
    const op = await this.#get();
    return op.acquire ? op.acquire(signal) : () => {};
  }
}

export function createResolver(ctx: OpsContext): OpResolver {
  return {
    resolve(vertex: Vertex): Op {
      const kind = opKind(vertex.op);
      // The solver resolves every vertex before it runs any: by then each op knows whether a
      // step mounts its result (merge and diff stack layers without reading files).
      if (kind === 'exec' || kind === 'file') for (const i of vertex.inputs) ctx.readAsFiles.add(i.vertex.digest);
      switch (kind) {
        case 'source':
          return new LazyOp(async () => (await import('./ops/source.ts')).sourceOp(ctx, vertex));
        case 'exec':
          return new LazyOp(async () => new (await import('./ops/exec.ts')).ExecOpImpl(ctx, vertex));
        case 'file':
          return new LazyOp(async () => new (await import('./ops/file.ts')).FileOpImpl(ctx, vertex));
        case 'merge':
          return new LazyOp(async () => new (await import('./ops/merge.ts')).MergeOpImpl(ctx, vertex));
        case 'diff':
          return new LazyOp(async () => new (await import('./ops/diff.ts')).DiffOpImpl(ctx, vertex));
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

/** Loads the op modules the resolver loads on first use: a build server does it while it waits for its first build. */
export function preloadOps(): Promise<unknown> {
  return Promise.all([import('./ops/source.ts'), import('./ops/exec.ts'), import('./ops/file.ts'), import('./ops/merge.ts'), import('./ops/diff.ts')]);
}
