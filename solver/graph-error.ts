// Why a graph cannot be loaded. These are user-facing: each says what is wrong, where, and what
// to do, without a stack trace.
import type { Digest } from '../llb/index.ts';

export type GraphErrorReason = 'missing-terminal' | 'dangling-input' | 'cycle' | 'invalid-definition';

export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly reason: GraphErrorReason;
  /** The vertex the problem was found at, when there is one. */
  readonly digest: Digest | undefined;

  constructor(reason: GraphErrorReason, message: string, digest?: Digest) {
    super(message);
    this.reason = reason;
    this.digest = digest;
  }
}
