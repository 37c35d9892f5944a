// A cache ready to send: config and manifest written to the content store, and the list of
// layer blobs it names (which may not be local yet: the sender fetches or mounts them).
import type { ContentStore } from '../content-store.ts';
import type { Descriptor } from '../types.ts';
import { buildCacheConfig } from './config.ts';
import { cacheManifest, type CacheManifestOptions } from './manifest.ts';
import { CACHE_CONFIG_MEDIA_TYPE, type CacheEntry } from './types.ts';

export interface PreparedCache {
  readonly manifest: Descriptor;
  readonly manifestBytes: Buffer;
  readonly config: Descriptor;
  readonly blobs: readonly Descriptor[];
  readonly records: number;
}

export async function prepareCache(store: ContentStore, entries: readonly CacheEntry[], o: CacheManifestOptions): Promise<PreparedCache> {
  const built = buildCacheConfig(entries);
  const cfg = await store.writeJson(built.config);
  const config: Descriptor = { mediaType: CACHE_CONFIG_MEDIA_TYPE, digest: cfg.digest, size: cfg.size };
  const m = cacheManifest(config, built.blobs, o);
  const written = await store.writeJson(m.doc);
  return {
    manifest: { mediaType: m.mediaType, digest: written.digest, size: written.size },
    manifestBytes: written.bytes,
    config,
    blobs: built.blobs,
    records: built.config.records?.length ?? 0,
  };
}
