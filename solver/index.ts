// The generic graph engine: load a definition into vertices, solve it with cache keys and a
// bounded parallel scheduler, report SolveEvents. It knows how ops are keyed, never how they run.
export type * from './types.ts';
export { CACHE_KEY_VERSION, definitionKey, contentKey, parseCacheKey } from './cache-key.ts';
export type { CacheKey, DefinitionKeyPayload, ContentKeyPayload, ContentKeyInput } from './cache-key.ts';
export type { CacheStore, CacheRecord } from './cache-store.ts';
export { MemoryCacheStore } from './memory-store.ts';
export { DiskCacheStore, CacheStoreError } from './disk-store.ts';
export { GraphError } from './graph-error.ts';
export type { GraphErrorReason } from './graph-error.ts';
export { loadGraph } from './load.ts';
export type { LoadInput, LoadOp, SolveGraph } from './load.ts';
export { loadDefinitions } from './load-definition.ts';
export { solve, defaultParallelism } from './solve.ts';
export type { SolveOptions, SolveOutcome, SolveFailure, VertexReport, InputReport } from './solve.ts';
export type { VertexStatus } from './vertex-state.ts';
