// The contract between the generic solver and whoever runs ops (executor/) or watches (cli/).
// The solver knows vertices, cache maps and results as opaque values; never how an op runs.
import type { Digest, Op as PbOp, OpMetadata } from '../llb/index.ts';

/** One node of the loaded graph: a unique op (by digest) and the outputs it consumes. */
export interface Vertex {
  readonly digest: Digest;
  readonly op: PbOp;
  readonly inputs: readonly VertexInput[];
  readonly metadata: OpMetadata;
  /** Display name: the op's custom name, else one derived from the op. Never part of a key. */
  readonly name: string;
}

export interface VertexInput {
  readonly vertex: Vertex;
  readonly index: number;
}

/**
 * An op's output, opaque to the solver. `id` is persistent: the cache store records it, and
 * `OpResolver.loadResult(id)` brings it back in a later build (e.g. a committed snapshot key).
 */
export interface Result {
  readonly id: string;
}

/** What an op reports about itself for cache keys: data, not code that builds keys. */
export interface CacheMap {
  /** The op's cache digest: usually derived from the op with non-semantic fields removed. */
  readonly digest: Digest;
  /** One entry per vertex input, in order. */
  readonly deps: readonly CacheMapDep[];
  /**
   * The digest names this build only (a build context read in place): definition keys from here
   * down never hit again, so whatever stands for these results elsewhere is their content keys.
   */
  readonly perBuild?: boolean;
}

export interface CacheMapDep {
  /** Which part of the input the op reads (e.g. the paths a COPY selects); part of the key. */
  readonly selector?: string;
  /**
   * Content key of what the op reads from this input, computed from the built input. When the
   * definition key misses, the solver builds the inputs and keys on these digests instead, so an
   * input rebuilt to identical content still hits.
   */
  readonly contentDigest?: (input: Result, ctx: OpContext) => Promise<Digest>;
}

/** Per-call context: cancellation, and a way to emit progress scoped to this vertex. */
export interface OpContext {
  readonly vertex: Vertex;
  readonly signal: AbortSignal;
  log(stream: 1 | 2, data: Uint8Array | string): void;
  status(status: Omit<StatusEvent, 'type' | 'vertex' | 'timestamp'>): void;
  warn(short: string, detail?: string): void;
}

export interface Op {
  /**
   * Called for every vertex of the graph before anything runs (definition keys need the whole
   * upstream), so it must not build anything; resolving a tag to a digest is fine.
   */
  cacheMap(ctx: OpContext): Promise<CacheMap>;
  /**
   * Runs the op on its built inputs; returns one result per output index. Must settle soon after
   * `ctx.signal` aborts: a solve ends only when every started exec has settled. The result data
   * must be durable before this resolves, because the solver then records its id.
   */
  exec(ctx: OpContext, inputs: readonly Result[]): Promise<Result[]>;
  /** Optional per-kind parallelism limit: resolves to a release function; rejects when `signal` aborts. */
  acquire?(signal: AbortSignal): Promise<() => void>;
}

export interface OpResolver {
  resolve(vertex: Vertex): Op;
  /** Re-opens a result recorded in the cache store; undefined when its data is gone (a miss). */
  loadResult(id: string): Promise<Result | undefined>;
}

// ---- Events: mirror BuildKit's SolveStatus (Vertex, VertexStatus, VertexLog, VertexWarning) ----

export interface VertexEvent {
  readonly type: 'vertex';
  readonly digest: Digest;
  readonly name: string;
  readonly inputs: readonly Digest[];
  /** Epoch milliseconds. */
  readonly started?: number;
  readonly completed?: number;
  readonly cached?: boolean;
  readonly canceled?: boolean;
  readonly error?: string;
  readonly progressGroup?: { id: string; name: string; weak?: boolean };
}

export interface StatusEvent {
  readonly type: 'status';
  readonly vertex: Digest;
  readonly id: string;
  readonly name?: string;
  readonly total?: number;
  readonly current: number;
  readonly timestamp: number;
  readonly started?: number;
  readonly completed?: number;
}

export interface LogEvent {
  readonly type: 'log';
  readonly vertex: Digest;
  readonly stream: 1 | 2;
  readonly data: Uint8Array;
  readonly timestamp: number;
}

export interface WarningEvent {
  readonly type: 'warning';
  readonly vertex: Digest;
  readonly level: number;
  readonly short: string;
  readonly detail?: string;
  readonly url?: string;
}

export type SolveEvent = VertexEvent | StatusEvent | LogEvent | WarningEvent;
