// The executor's entry for one build: what `tsbuild build`/`solve` need on every run, without the
// rest of index.ts (gc accounting, prune, run-container, …), so a cached rebuild loads less.
export { createExecutor } from './executor.ts';
export type { Executor, ExecutorOptions } from './executor.ts';
export { acquireBuildLock } from './gc/build-lock.ts';
export type { BuildLockOptions, LockHolder } from './gc/build-lock.ts';
export { collectCacheEntries, importCacheEntries, type CollectOptions, type CollectedCache, type ImportSummary } from './remotecache/index.ts';
