// The LLB schema as plain data: BuildKit's solver/pb/ops.proto (package `pb`) field numbers and
// wire types under the lowerCamel field names of types.ts. The codec (codec.ts) plans its
// encoding straight from this data, so building a build's definition needs no protobuf library;
// test/llb/support/pb-schema.ts turns the same data into protobufjs reflection for the tests that compare it with
// BuildKit's own .proto.

export type FieldJSON = { id: number; type: string; rule?: 'repeated'; keyType?: string };
export type TypeJSON = { fields: Record<string, FieldJSON>; oneofs?: Record<string, { oneof: string[] }> };

const f = (id: number, type: string): FieldJSON => ({ id, type });
const rep = (id: number, type: string): FieldJSON => ({ id, type, rule: 'repeated' });
const map = (id: number, keyType: string, type: string): FieldJSON => ({ id, keyType, type });
const msg = (fields: Record<string, FieldJSON>, oneofs?: Record<string, string[]>): TypeJSON => {
  const t: TypeJSON = { fields };
  if (oneofs) t.oneofs = Object.fromEntries(Object.entries(oneofs).map(([k, v]) => [k, { oneof: v }]));
  return t;
};
export type EnumJSON = { values: Record<string, number> };
const enumOf = (values: Record<string, number>): EnumJSON => ({ values });

const userOpt = msg({ id: f(1, 'string'), uid: f(2, 'uint32'), gid: f(3, 'uint32'), mode: f(4, 'uint32'), optional: f(5, 'bool') });

export const types = {
  Op: msg(
    {
      inputs: rep(1, 'Input'),
      exec: f(2, 'ExecOp'),
      source: f(3, 'SourceOp'),
      file: f(4, 'FileOp'),
      build: f(5, 'BuildOp'),
      merge: f(6, 'MergeOp'),
      diff: f(7, 'DiffOp'),
      passthrough: f(8, 'PassthroughOp'),
      platform: f(10, 'Platform'),
      constraints: f(11, 'WorkerConstraints'),
    },
    { op: ['exec', 'source', 'file', 'build', 'merge', 'diff', 'passthrough'] },
  ),
  Platform: msg({
    architecture: f(1, 'string'),
    os: f(2, 'string'),
    variant: f(3, 'string'),
    osVersion: f(4, 'string'),
    osFeatures: rep(5, 'string'),
  }),
  Input: msg({ digest: f(1, 'string'), index: f(2, 'int64') }),
  ExecOp: msg({
    meta: f(1, 'Meta'),
    mounts: rep(2, 'Mount'),
    network: f(3, 'NetMode'),
    security: f(4, 'SecurityMode'),
    secretenv: rep(5, 'SecretEnv'),
    cdiDevices: rep(6, 'CDIDevice'),
  }),
  Meta: msg({
    args: rep(1, 'string'),
    env: rep(2, 'string'),
    cwd: f(3, 'string'),
    user: f(4, 'string'),
    proxyEnv: f(5, 'ProxyEnv'),
    extraHosts: rep(6, 'HostIP'),
    hostname: f(7, 'string'),
    ulimit: rep(9, 'Ulimit'),
    cgroupParent: f(10, 'string'),
    removeMountStubsRecursive: f(11, 'bool'),
    validExitCodes: rep(12, 'int32'),
  }),
  HostIP: msg({ host: f(1, 'string'), ip: f(2, 'string') }),
  Ulimit: msg({ name: f(1, 'string'), soft: f(2, 'int64'), hard: f(3, 'int64') }),
  NetMode: enumOf({ UNSET: 0, HOST: 1, NONE: 2 }),
  SecurityMode: enumOf({ SANDBOX: 0, INSECURE: 1 }),
  SecretEnv: msg({ id: f(1, 'string'), name: f(2, 'string'), optional: f(3, 'bool') }),
  CDIDevice: msg({ name: f(1, 'string'), optional: f(2, 'bool') }),
  Mount: msg({
    input: f(1, 'int64'),
    selector: f(2, 'string'),
    dest: f(3, 'string'),
    output: f(4, 'int64'),
    readonly: f(5, 'bool'),
    mountType: f(6, 'MountType'),
    tmpfsOpt: f(19, 'TmpfsOpt'),
    cacheOpt: f(20, 'CacheOpt'),
    secretOpt: f(21, 'SecretOpt'),
    sshOpt: f(22, 'SSHOpt'),
    resultID: f(23, 'string'),
    contentCache: f(24, 'MountContentCache'),
  }),
  MountType: enumOf({ BIND: 0, SECRET: 1, SSH: 2, CACHE: 3, TMPFS: 4 }),
  MountContentCache: enumOf({ DEFAULT: 0, ON: 1, OFF: 2 }),
  TmpfsOpt: msg({ size: f(1, 'int64') }),
  CacheOpt: msg({ id: f(1, 'string'), sharing: f(2, 'CacheSharingOpt') }),
  CacheSharingOpt: enumOf({ SHARED: 0, PRIVATE: 1, LOCKED: 2 }),
  SecretOpt: userOpt,
  SSHOpt: userOpt,
  SourceOp: msg({ identifier: f(1, 'string'), attrs: map(2, 'string', 'string') }),
  BuildOp: msg({
    builder: f(1, 'int64'),
    inputs: map(2, 'string', 'BuildInput'),
    def: f(3, 'Definition'),
    attrs: map(4, 'string', 'string'),
  }),
  BuildInput: msg({ input: f(1, 'int64') }),
  OpMetadata: msg({
    ignoreCache: f(1, 'bool'),
    description: map(2, 'string', 'string'),
    exportCache: f(4, 'ExportCache'),
    caps: map(5, 'string', 'bool'),
    progressGroup: f(6, 'ProgressGroup'),
    linuxResources: f(7, 'LinuxResources'),
  }),
  Source: msg({ locations: map(1, 'string', 'Locations'), infos: rep(2, 'SourceInfo') }),
  Locations: msg({ locations: rep(1, 'Location') }),
  SourceInfo: msg({
    filename: f(1, 'string'),
    data: f(2, 'bytes'),
    definition: f(3, 'Definition'),
    language: f(4, 'string'),
  }),
  Location: msg({ sourceIndex: f(1, 'int32'), ranges: rep(2, 'Range') }),
  Range: msg({ start: f(1, 'Position'), end: f(2, 'Position') }),
  Position: msg({ line: f(1, 'int32'), character: f(2, 'int32') }),
  ExportCache: msg({ value: f(1, 'bool') }),
  ProgressGroup: msg({ id: f(1, 'string'), name: f(2, 'string'), weak: f(3, 'bool') }),
  LinuxResources: msg({
    memory: f(1, 'int64'),
    memorySwap: f(2, 'int64'),
    cpuShares: f(3, 'uint64'),
    cpuPeriod: f(4, 'uint64'),
    cpuQuota: f(5, 'int64'),
    cpusetCpus: f(6, 'string'),
    cpusetMems: f(7, 'string'),
  }),
  ProxyEnv: msg({
    httpProxy: f(1, 'string'),
    httpsProxy: f(2, 'string'),
    ftpProxy: f(3, 'string'),
    noProxy: f(4, 'string'),
    allProxy: f(5, 'string'),
  }),
  WorkerConstraints: msg({ filter: rep(1, 'string') }),
  Definition: msg({ def: rep(1, 'bytes'), metadata: map(2, 'string', 'OpMetadata'), source: f(3, 'Source') }),
  FileOp: msg({ actions: rep(2, 'FileAction') }),
  FileAction: msg(
    {
      input: f(1, 'int64'),
      secondaryInput: f(2, 'int64'),
      output: f(3, 'int64'),
      copy: f(4, 'FileActionCopy'),
      mkfile: f(5, 'FileActionMkFile'),
      mkdir: f(6, 'FileActionMkDir'),
      rm: f(7, 'FileActionRm'),
      symlink: f(8, 'FileActionSymlink'),
    },
    { action: ['copy', 'mkfile', 'mkdir', 'rm', 'symlink'] },
  ),
  FileActionCopy: msg({
    src: f(1, 'string'),
    dest: f(2, 'string'),
    owner: f(3, 'ChownOpt'),
    mode: f(4, 'int32'),
    followSymlink: f(5, 'bool'),
    dirCopyContents: f(6, 'bool'),
    attemptUnpackDockerCompatibility: f(7, 'bool'),
    createDestPath: f(8, 'bool'),
    allowWildcard: f(9, 'bool'),
    allowEmptyWildcard: f(10, 'bool'),
    timestamp: f(11, 'int64'),
    includePatterns: rep(12, 'string'),
    excludePatterns: rep(13, 'string'),
    alwaysReplaceExistingDestPaths: f(14, 'bool'),
    modeStr: f(15, 'string'),
    requiredPaths: rep(16, 'string'),
  }),
  FileActionMkFile: msg({
    path: f(1, 'string'),
    mode: f(2, 'int32'),
    data: f(3, 'bytes'),
    owner: f(4, 'ChownOpt'),
    timestamp: f(5, 'int64'),
  }),
  FileActionSymlink: msg({
    oldpath: f(1, 'string'),
    newpath: f(2, 'string'),
    owner: f(3, 'ChownOpt'),
    timestamp: f(4, 'int64'),
  }),
  FileActionMkDir: msg({
    path: f(1, 'string'),
    mode: f(2, 'int32'),
    makeParents: f(3, 'bool'),
    owner: f(4, 'ChownOpt'),
    timestamp: f(5, 'int64'),
  }),
  FileActionRm: msg({ path: f(1, 'string'), allowNotFound: f(2, 'bool'), allowWildcard: f(3, 'bool') }),
  ChownOpt: msg({ user: f(1, 'UserOpt'), group: f(2, 'UserOpt') }),
  UserOpt: msg({ byName: f(1, 'NamedUserOpt'), byID: f(2, 'uint32') }, { user: ['byName', 'byID'] }),
  NamedUserOpt: msg({ name: f(1, 'string'), input: f(2, 'int64') }),
  MergeInput: msg({ input: f(1, 'int64') }),
  MergeOp: msg({ inputs: rep(1, 'MergeInput') }),
  LowerDiffInput: msg({ input: f(1, 'int64') }),
  UpperDiffInput: msg({ input: f(1, 'int64') }),
  DiffOp: msg({ lower: f(1, 'LowerDiffInput'), upper: f(2, 'UpperDiffInput') }),
  PassthroughOp: msg({ id: f(1, 'string'), outputs: rep(2, 'int64') }),
};

/** Names of the messages in the schema (`Op`, `Definition`, …). */
export type MessageName = { [K in keyof typeof types]: (typeof types)[K] extends TypeJSON ? K : never }[keyof typeof types];
