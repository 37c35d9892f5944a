// Source ops, by identifier scheme. `scratch` needs no op: LLB uses input -1 for it.
import type { CacheMap, Op, Result, Vertex } from '../../solver/index.ts';
import type { OpsContext } from './context.ts';
import { SourceError } from './errors.ts';
import { GitSourceOp } from './source-git.ts';
import { HttpSourceOp } from './source-http.ts';
import { ImageSourceOp } from './source-image.ts';
import { LocalSourceOp } from './source-local.ts';
import { OciLayoutSourceOp } from './source-oci-layout.ts';

/** A source whose identifier cannot be served: fails when keys are computed, before anything runs. */
class FailingSourceOp implements Op {
  readonly #error: Error;
  constructor(error: Error) {
    this.#error = error;
  }
  cacheMap(): Promise<CacheMap> {
    return Promise.reject(this.#error);
  }
  exec(): Promise<Result[]> {
    return Promise.reject(this.#error);
  }
}

export function sourceOp(ctx: OpsContext, vertex: Vertex): Op {
  const src = vertex.op.source!;
  const identifier = src.identifier ?? '';
  const attrs = src.attrs ?? {};
  const scheme = identifier.slice(0, Math.max(0, identifier.indexOf('://')));
  switch (scheme) {
    case 'docker-image':
      return ImageSourceOp.fromVertex(ctx, identifier, attrs, vertex.op.platform);
    case 'local':
      return new LocalSourceOp(ctx, identifier, attrs);
    case 'http':
    case 'https':
      return new HttpSourceOp(ctx, identifier, attrs);
    case 'git':
      return new GitSourceOp(ctx, identifier, attrs);
    case 'oci-layout':
      return new OciLayoutSourceOp(ctx, identifier, attrs, vertex.op.platform);
    default:
      return new FailingSourceOp(
        new SourceError(`unsupported source "${identifier}": expected docker-image://, oci-layout://, local://, http(s):// or git://`),
      );
  }
}
