export type * from './types.ts';
export { MediaType } from './types.ts';

export { isDigest, sha256, digestHex } from './digest.ts';
export { nativeSys, MNT_DETACH, IN, type NativeSys } from './sys/index.ts';
export { mountFs, unmountFs, MAX_MOUNT_OPTIONS } from './sys/mount.ts';
export {
  InvalidReferenceError,
  DigestMismatchError,
  BlobNotFoundError,
  InvalidImageError,
  NoMatchingPlatformError,
  RegistryError,
  ImageNotFoundError,
  OutputSpecError,
} from './errors.ts';

export { ContentStore, type BlobInfo, type IngestExpect, type BlobSource } from './content-store.ts';
export { defaultRoot, openStores, type OciStores } from './root.ts';
export { parseReference, makeReference, withDigest, DEFAULT_DOMAIN, type ImageReference } from './reference.ts';
export { hostPlatform, parsePlatform, formatPlatform, normalizePlatform, platformScore, selectPlatform } from './platform.ts';
export { parseManifest, parseImageConfig, validateDescriptor, checkManifestConfig, MANIFEST_ACCEPT, type ParsedManifest } from './manifest.ts';

export * from './compression/index.ts';

export { tarLayerSource, blobLayerSource, ingestLayerChanges, type LayerSource, type TarLayerOptions, type BlobLayerOptions } from './layer-source.ts';
export {
  buildImageConfig,
  normalizeHistory,
  orderContainerConfig,
  parseSourceDateEpoch,
  SYNTHETIC_HISTORY_COMMENT,
  type ImageConfigInput,
  type LayerInfo,
} from './image-config.ts';
export { writeImage, type ImageToWrite, type WriteImageOptions, type WrittenImage, type MediaTypes } from './image-writer.ts';
export { ImageStore, loadImage, normalizeName, type ImageRecord, type ResolvedImage } from './image-store.ts';

export * from './registry/index.ts';

export { parseOutputSpec, splitCsv, type OutputSpec, type ImageOutput, type ArchiveOutput, type LocalOutput, type TarOutput } from './output-spec.ts';
export { exportToImageStore, exportArchive, type ExportableImage, type ImageExportContext, type ImageExportResult } from './exporters/image-exporter.ts';
export { writeIndex, type WrittenIndex } from './exporters/image-index.ts';
export { writeLayoutTar, writeLayoutDir, ANNOTATION_REF_NAME, ANNOTATION_IMAGE_NAME, type LayoutImage, type LayoutOptions } from './exporters/layout.ts';
export { writeDirectoryTar, copyDirectory, exportFilesystem, type FilesystemExportOptions } from './exporters/filesystem.ts';
export { clampTarTimes, clampedLayerSource } from './exporters/rewrite-timestamp.ts';
export { resolveBaseImage, type PullPolicy, type ImageResolverContext } from './image-resolver.ts';
export { resolveLayoutImage, type LayoutSelector } from './layout-image.ts';
export * from './layer/index.ts';
export { analyzeWaste, type WasteAnalysis, type LayerSummary, type DeadBytes, type InefficientPath } from './layer-waste.ts';
export { unpackLayoutArchive } from './layout-archive.ts';
export { runTool, ToolError, type ToolOptions, type ToolResult } from './tool.ts';
export * from './remotecache/index.ts';
