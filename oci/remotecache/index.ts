// Build cache shared through registries and directories, in BuildKit's cache format.
export * from './types.ts';
export { buildCacheConfig, parseCacheConfig, readCacheEntries, cacheBlobDescriptor, CacheFormatError, type BuiltCacheConfig } from './config.ts';
export { cacheManifest, splitCacheManifest, type CacheManifestOptions } from './manifest.ts';
export { prepareCache, type PreparedCache } from './prepare.ts';
export { pushCache, pullCache, type PulledCache, type CachePushOptions } from './registry.ts';
export { writeLocalCache, readLocalCache, importLocalBlob, localBlobPath } from './local.ts';
export { parseCacheSpec, CacheSpecError, type CacheSpec, type CacheMode, type RegistryCacheSpec, type LocalCacheSpec, type InlineCacheSpec } from './spec.ts';
