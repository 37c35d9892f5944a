// Op implementations, one file per kind, over the snapshot tree, the runner and the stores.
export { sourceOp } from './source.ts';
export { ImageSourceOp, IMAGE_SOURCE_KEY } from './source-image.ts';
export { LocalSourceOp, LOCAL_SOURCE_KEY } from './source-local.ts';
export { HttpSourceOp, HTTP_SOURCE_KEY } from './source-http.ts';
export { GitSourceOp, GIT_SOURCE_KEY } from './source-git.ts';
export { OciLayoutSourceOp, OCI_LAYOUT_SOURCE_KEY } from './source-oci-layout.ts';
export { ExecOpImpl, EXEC_KEY, execKeyPayload, toRootfs } from './exec.ts';
export { FileOpImpl, FILE_KEY, fileKeyPayload } from './file.ts';
export { MergeOpImpl, MERGE_KEY } from './merge.ts';
export { DiffOpImpl, DIFF_KEY } from './diff.ts';
export { CacheMounts, type CacheMountLease } from './cache-mounts.ts';
export { Semaphore } from './semaphore.ts';
export { syncLinkFarm } from './local-farm.ts';
export { tempDir, uniqueKey, opPlatform } from './context.ts';
export type { OpsContext, SecretSource, ResolvedBase, ImageResolveMode } from './context.ts';
export { SourceError, ExecError, MissingSecretError, UnsupportedOpError } from './errors.ts';
export { opDigest } from './cache-digest.ts';
export { ownPathPatterns } from './own-paths.ts';
