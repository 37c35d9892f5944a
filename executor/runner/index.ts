export type { ExtraHost, NetworkMode, OverlayRootfs, ProcessSpec, RootfsMount, RunnerMount, RunOptions, RunResult, Runner } from './types.ts';
export { CrunRunner, OciRuntimeRunner, RuncRunner, createRunner } from './oci-runtime-runner.ts';
export type { OciRuntimeName, OciRuntimeRunnerOptions } from './oci-runtime-runner.ts';
export { ProcessFailedError, RunCanceledError, RunnerStartError, RunnerUnavailableError, UserResolveError } from './errors.ts';
export { resolveUser } from './user.ts';
export type { ResolvedUser } from './user.ts';
export { mkdirAllInRoot, resolveInRoot } from './root-path.ts';
export { DEFAULT_CAPABILITIES, DEFAULT_HOSTNAME, DEFAULT_PATH } from './spec.ts';
