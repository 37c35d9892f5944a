// Runs LLB ops for real: the resolver the solver is handed, refs over the snapshot tree, and the
// layers and directories exporters read. Subsystems are re-exported for the CLI and tests.
export { createExecutor } from './executor.ts';
export type { Executor, ExecutorOptions } from './executor.ts';
export type { ChainTarget } from './layer-prefetch.ts';
export { createResolver, preloadOps } from './resolver.ts';
export { Ref, RefManager, isRef, layerIdentity } from './refs/index.ts';
export type { BlobLayer, LayerEntry, RefRecord, RefSource, PullProgressSink } from './refs/index.ts';
export {
  SourceError,
  ExecError,
  MissingSecretError,
  UnsupportedOpError,
  EXEC_KEY,
  FILE_KEY,
  MERGE_KEY,
  DIFF_KEY,
  IMAGE_SOURCE_KEY,
  LOCAL_SOURCE_KEY,
  HTTP_SOURCE_KEY,
  GIT_SOURCE_KEY,
  OCI_LAYOUT_SOURCE_KEY,
  execKeyPayload,
  fileKeyPayload,
  ownPathPatterns,
} from './ops/index.ts';
export type { SecretSource, OpsContext } from './ops/index.ts';
export { RunnerUnavailableError, ProcessFailedError } from './runner/index.ts';
export type { SnapshotterName, ReadableDir } from './snapshot/index.ts';
export { runContainer, type ContainerProcess } from './run-container.ts';
export { watchContexts } from './contenthash/index.ts';
export { PathFilter, parseIgnoreFile } from './patterns/index.ts';
export {
  usage,
  prune,
  untilCutoff,
  PruneFilterError,
  acquireBuildLock,
  liveBuilds,
  PruneLockedError,
  parseSize,
  parseDuration,
  parseUntil,
  formatBytes,
  UnitError,
} from './gc/index.ts';
export type { DiskUsage, UsageCategory, ResultUsage, PruneOptions, PruneResult, LockHolder, BuildLockOptions } from './gc/index.ts';
