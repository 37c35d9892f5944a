// Layer tars: the OCI layer format (ustar + PAX, whiteouts), diffs that produce change lists,
// the streaming writer and the safe applier. Pure tar ↔ filesystem; no snapshot knowledge.
export type { Change } from './changes.ts';
export { OPAQUE_MARKER, WHITEOUT_PREFIX, cleanLayerPath, comparePaths, sortChanges } from './changes.ts';
export type { TarHeader, TarType } from './tar-format.ts';
export { TarFormatError, encodeHeader } from './tar-format.ts';
export type { TarMember } from './tar-reader.ts';
export { readTar } from './tar-reader.ts';
export type { WriteLayerOptions, ReadElsewhere, FileIdentity } from './write-layer.ts';
export { LayerWriteError, layerTarChunks, writeLayer } from './write-layer.ts';
export type { DiffOptions } from './diff.ts';
export { overlayUpperChanges, treeDiffChanges } from './diff.ts';
export type { WalkEntry } from './walk.ts';
export { treeAsChanges, walkTree } from './walk.ts';
export type { ApplyOptions, ApplyResult } from './apply.ts';
export { applyLayer } from './apply.ts';
export { UnsafeLayerError } from './safe-path.ts';
export type { NodeKind } from './special-files.ts';
export { devMajor, devMinor, makeNode, makeWhiteoutDevices } from './special-files.ts';
export type { Xattrs, XattrWriteResult } from './xattrs.ts';
export { OVERLAY_OPAQUE, isOverlayInternal, readXattrTree, readXattrs, writeXattrs, xattrToolsAvailable } from './xattrs.ts';
export type { LayerFileEntry, LayerFileKind, LayerFiles } from './layer-files.ts';
export { LayerFilesBuilder, listLayerTar, tapLayerFiles } from './layer-files.ts';
