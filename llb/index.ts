// The public build API of tsbuild (`import { image, run, … } from 'tsbuild'`) and the LLB wire format.
export type * from './pb/types.ts';
// The State API's `FileAction` builder shadows the wire message of that name; this is the message.
export type { FileAction as FileActionMessage } from './pb/types.ts';
export { NetMode, SecurityMode, MountType, CacheSharingOpt, MountContentCache, EMPTY_INPUT, SKIP_OUTPUT, ROOT_MOUNT, CUSTOM_NAME } from './pb/types.ts';

// Wire format: deterministic codec, digests, definition decoding.
export { DecodeError, EncodeError, encodeMessage, decodeMessage } from './pb/codec.ts';
export type { MessageName } from './pb/schema-data.ts';
export { encodeOp, decodeOp, encodeOpMetadata, definitionToBytes, definitionFromBytes } from './pb/messages.ts';
export { digestOf, isDigest } from './digest.ts';
export { decodeDefinition, opKind, checkAcyclic, DefinitionError } from './definition.ts';
export type { DecodedDefinition, DecodedOp, DefinitionProblem } from './definition.ts';
export { definitionToJSON, toJSONValue } from './definition-json.ts';
export type { OpJSON, JSONValue } from './definition-json.ts';

// Image references and platforms (pure helpers shared with oci/ and frontends/).
export { parseImageRef, normalizeImageRef, familiarImageRef, ImageRefError, DEFAULT_DOMAIN } from './image-ref.ts';
export type { ImageRef } from './image-ref.ts';
export { parsePlatform, formatPlatform, normalizePlatform, hostPlatform, PlatformError } from './platform.ts';

// The State API.
export { State, ExecState, isState } from './state.ts';
export type {
  RunOptions,
  RunMount,
  BindMount,
  CacheMount,
  TmpfsMount,
  SecretMountSpec,
  SSHMountSpec,
  NetworkMode,
  SecurityModeName,
  FileOptions,
} from './state.ts';
export { scratch, image, local, git, http, ociLayout } from './sources.ts';
export type { ImageOptions, LocalOptions, GitOptions, HttpOptions, OCILayoutOptions } from './sources.ts';
export { mkdir, mkfile, rm, symlink, copy, FileAction } from './file-action.ts';
export type { Chown, CreatedTime, MkdirOptions, MkfileOptions, RmOptions, SymlinkOptions, CopyOptions } from './file-action.ts';
export { merge, diff } from './merge-diff.ts';
export { marshal } from './marshal.ts';
export type { MarshalOptions } from './marshal.ts';
export type { OpOptions } from './node.ts';
export { StateError } from './errors.ts';
export type { StateErrorCode } from './errors.ts';
export { DEFAULT_PATH } from './exec-op.ts';
export type { ImageSpec } from './image-spec.ts';
export type { BuildContext, BuildTarget, BuildProgramExport } from './build-program.ts';
export { bind, cache, tmpfs, secret, ssh } from './mounts.ts';

// Pure helpers every layer shares (llb is the folder all others may import).
export { AsyncMemo, asyncOnce } from './async-memo.ts';
export type { AsyncMemoOptions } from './async-memo.ts';
export { canonicalJSON } from './canonical-json.ts';
