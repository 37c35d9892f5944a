// Plain TypeScript shapes of BuildKit's `solver/pb/ops.proto` messages. Field numbers live in
// the codec's schema (llb/pb/schema-data.ts); these are the decoded values every layer passes around.
// Names are lowerCamel; int64 fields are JS numbers (safe integers), bytes are Uint8Array.
// Timestamps (int64 unix nanoseconds) may also be bigints: today's dates do not fit in a double.
// A field left undefined is the protobuf default (0, '', false, empty): the codec omits it.

export type Digest = `sha256:${string}`;

export interface Platform {
  architecture?: string; // 1
  os?: string; // 2
  variant?: string; // 3
  osVersion?: string; // 4
  osFeatures?: string[]; // 5
}

export interface Input {
  digest: Digest; // 1
  index?: number; // 2 — output index of the input op
}

export interface Op {
  inputs?: Input[]; // 1
  // oneof op (2..8); absent on the terminal op
  exec?: ExecOp; // 2
  source?: SourceOp; // 3
  file?: FileOp; // 4
  build?: BuildOp; // 5
  merge?: MergeOp; // 6
  diff?: DiffOp; // 7
  passthrough?: PassthroughOp; // 8
  platform?: Platform; // 10
  constraints?: WorkerConstraints; // 11
}

export type OpKind = 'exec' | 'source' | 'file' | 'build' | 'merge' | 'diff' | 'passthrough';

export interface WorkerConstraints {
  filter?: string[]; // 1
}

export const NetMode = { UNSET: 0, HOST: 1, NONE: 2 } as const;
export type NetMode = (typeof NetMode)[keyof typeof NetMode];
export const SecurityMode = { SANDBOX: 0, INSECURE: 1 } as const;
export type SecurityMode = (typeof SecurityMode)[keyof typeof SecurityMode];

export interface ExecOp {
  meta?: Meta; // 1
  mounts?: Mount[]; // 2
  network?: NetMode; // 3
  security?: SecurityMode; // 4
  secretenv?: SecretEnv[]; // 5
  cdiDevices?: CDIDevice[]; // 6
}

export interface Meta {
  args?: string[]; // 1
  env?: string[]; // 2
  cwd?: string; // 3
  user?: string; // 4
  proxyEnv?: ProxyEnv; // 5
  extraHosts?: HostIP[]; // 6
  hostname?: string; // 7
  ulimit?: Ulimit[]; // 9
  cgroupParent?: string; // 10
  removeMountStubsRecursive?: boolean; // 11
  validExitCodes?: number[]; // 12
}

export interface HostIP {
  host?: string;
  ip?: string;
} // 1, 2
export interface Ulimit {
  name?: string;
  soft?: number;
  hard?: number;
} // 1, 2, 3
export interface SecretEnv {
  id?: string;
  name?: string;
  optional?: boolean;
} // 1, 2, 3
export interface CDIDevice {
  name?: string;
  optional?: boolean;
} // 1, 2
export interface ProxyEnv {
  httpProxy?: string; // 1
  httpsProxy?: string; // 2
  ftpProxy?: string; // 3
  noProxy?: string; // 4
  allProxy?: string; // 5
}

export const MountType = { BIND: 0, SECRET: 1, SSH: 2, CACHE: 3, TMPFS: 4 } as const;
export type MountType = (typeof MountType)[keyof typeof MountType];
export const CacheSharingOpt = { SHARED: 0, PRIVATE: 1, LOCKED: 2 } as const;
export type CacheSharingOpt = (typeof CacheSharingOpt)[keyof typeof CacheSharingOpt];
export const MountContentCache = { DEFAULT: 0, ON: 1, OFF: 2 } as const;
export type MountContentCache = (typeof MountContentCache)[keyof typeof MountContentCache];

/** Input index -1: the mount starts empty (scratch). Output -1: the mount produces no output. */
export const EMPTY_INPUT = -1;
export const SKIP_OUTPUT = -1;
export const ROOT_MOUNT = '/';

export interface Mount {
  input?: number; // 1 — index into Op.inputs, or -1
  selector?: string; // 2
  dest?: string; // 3
  output?: number; // 4 — output index, or -1
  readonly?: boolean; // 5
  mountType?: MountType; // 6
  tmpfsOpt?: TmpfsOpt; // 19
  cacheOpt?: CacheOpt; // 20
  secretOpt?: SecretOpt; // 21
  sshOpt?: SSHOpt; // 22
  resultID?: string; // 23
  contentCache?: MountContentCache; // 24
}

export interface TmpfsOpt {
  size?: number;
} // 1
export interface CacheOpt {
  id?: string;
  sharing?: CacheSharingOpt;
} // 1, 2
export interface SecretOpt {
  id?: string;
  uid?: number;
  gid?: number;
  mode?: number;
  optional?: boolean;
} // 1..5
export interface SSHOpt {
  id?: string;
  uid?: number;
  gid?: number;
  mode?: number;
  optional?: boolean;
} // 1..5

export interface SourceOp {
  identifier?: string; // 1
  attrs?: Record<string, string>; // 2 — map, marshaled sorted by key
}

export interface BuildOp {
  builder?: number; // 1
  inputs?: Record<string, BuildInput>; // 2
  def?: Definition; // 3
  attrs?: Record<string, string>; // 4
}
export interface BuildInput {
  input?: number;
} // 1

export interface FileOp {
  actions?: FileAction[]; // 2
}

export interface FileAction {
  input?: number; // 1 — -1 scratch, < len(inputs) an op input, else the result of an earlier action
  secondaryInput?: number; // 2
  output?: number; // 3 — 0 on the last action, -1 elsewhere
  copy?: FileActionCopy; // 4
  mkfile?: FileActionMkFile; // 5
  mkdir?: FileActionMkDir; // 6
  rm?: FileActionRm; // 7
  symlink?: FileActionSymlink; // 8
}

export interface FileActionCopy {
  src?: string; // 1
  dest?: string; // 2
  owner?: ChownOpt; // 3
  mode?: number; // 4 — -1 keeps the source mode
  followSymlink?: boolean; // 5
  dirCopyContents?: boolean; // 6
  attemptUnpackDockerCompatibility?: boolean; // 7
  createDestPath?: boolean; // 8
  allowWildcard?: boolean; // 9
  allowEmptyWildcard?: boolean; // 10
  timestamp?: number | bigint; // 11 — unix nanoseconds, -1 keeps
  includePatterns?: string[]; // 12
  excludePatterns?: string[]; // 13
  alwaysReplaceExistingDestPaths?: boolean; // 14
  modeStr?: string; // 15 — symbolic chmod (`u+x`)
  requiredPaths?: string[]; // 16
}

export interface FileActionMkFile {
  path?: string; // 1
  mode?: number; // 2
  data?: Uint8Array; // 3
  owner?: ChownOpt; // 4
  timestamp?: number | bigint; // 5 — unix nanoseconds, -1 keeps
}

export interface FileActionMkDir {
  path?: string; // 1
  mode?: number; // 2
  makeParents?: boolean; // 3
  owner?: ChownOpt; // 4
  timestamp?: number | bigint; // 5 — unix nanoseconds, -1 keeps
}

export interface FileActionRm {
  path?: string; // 1
  allowNotFound?: boolean; // 2
  allowWildcard?: boolean; // 3
}

export interface FileActionSymlink {
  oldpath?: string; // 1
  newpath?: string; // 2
  owner?: ChownOpt; // 3
  timestamp?: number | bigint; // 4 — unix nanoseconds, -1 keeps
}

export interface ChownOpt {
  user?: UserOpt;
  group?: UserOpt;
} // 1, 2
/** oneof: byName (1) or byID (2). */
export interface UserOpt {
  byName?: NamedUserOpt;
  byID?: number;
}
export interface NamedUserOpt {
  name?: string;
  input?: number;
} // 1, 2

export interface MergeOp {
  inputs?: MergeInput[];
} // 1
export interface MergeInput {
  input?: number;
} // 1
export interface DiffOp {
  lower?: LowerDiffInput;
  upper?: UpperDiffInput;
} // 1, 2
export interface LowerDiffInput {
  input?: number;
} // 1
export interface UpperDiffInput {
  input?: number;
} // 1
export interface PassthroughOp {
  id?: string;
  outputs?: number[];
} // 1, 2 (repeated int64)

export interface OpMetadata {
  ignoreCache?: boolean; // 1
  description?: Record<string, string>; // 2 — e.g. llb.customname
  exportCache?: ExportCache; // 4
  caps?: Record<string, boolean>; // 5
  progressGroup?: ProgressGroup; // 6
  linuxResources?: LinuxResources; // 7
}
export interface ExportCache {
  value?: boolean;
} // 1
export interface ProgressGroup {
  id?: string;
  name?: string;
  weak?: boolean;
} // 1, 2, 3
export interface LinuxResources {
  memory?: number; // 1
  memorySwap?: number; // 2
  cpuShares?: number; // 3
  cpuPeriod?: number; // 4
  cpuQuota?: number; // 5
  cpusetCpus?: string; // 6
  cpusetMems?: string; // 7
}

export interface Source {
  locations?: Record<string, Locations>; // 1 — op digest → locations
  infos?: SourceInfo[]; // 2
}
export interface Locations {
  locations?: Location[];
} // 1
export interface SourceInfo {
  filename?: string; // 1
  data?: Uint8Array; // 2
  definition?: Definition; // 3
  language?: string; // 4
}
export interface Location {
  sourceIndex?: number;
  ranges?: Range[];
} // 1, 2
export interface Range {
  start?: Position;
  end?: Position;
} // 1, 2
export interface Position {
  line?: number;
  character?: number;
} // 1, 2

export interface Definition {
  def: Uint8Array[]; // 1 — marshaled Ops, inputs before users, terminal op last
  metadata?: Record<string, OpMetadata>; // 2 — keyed by op digest
  source?: Source; // 3
}

/** Description keys BuildKit uses in OpMetadata.description. */
export const CUSTOM_NAME = 'llb.customname';
