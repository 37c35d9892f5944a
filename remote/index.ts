export { parseBuilderAddress, AddressError, type BuilderAddress, type TlsFiles } from './address.ts';
export { ConnectError } from './connect.ts';
export { withDefaultNetwork } from './default-network.ts';
export { withIgnoreCache } from './ignore-cache.ts';
export { missingCapability, BUILDKIT_0_8_CAPS, type MissingCapability } from './capabilities.ts';
export { RemoteBuilder, RemoteBuildError, type Capabilities, type RemoteSolveOptions } from './builder.ts';
export type { SolveStatus, RemoteVertex, RemoteVertexStatus, RemoteLog, RemoteWarning } from './control.ts';
export type { LocalDir, EntryFilter } from './filesync.ts';
export type { SessionOptions, SecretSource, ExportTarget } from './session.ts';
