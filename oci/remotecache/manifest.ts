// The manifest that names a cache: BuildKit's two forms.
// - image manifest (default, `image-manifest=true`): config = the cache config
//   (`application/vnd.buildkit.cacheconfig.v0`), layers = the blobs. Every registry stores it.
// - index (`image-manifest=false`): an index whose entries are the blobs and, last, the config.
//   With `oci-mediatypes=false` it is a Docker manifest list, as older BuildKit wrote it.
import { parseManifest } from '../manifest.ts';
import { MediaType, type Descriptor, type ImageIndex, type ImageManifest } from '../types.ts';
import { CacheFormatError } from './config.ts';
import { CACHE_CONFIG_MEDIA_TYPE } from './types.ts';

export interface CacheManifestOptions {
  readonly imageManifest: boolean;
  readonly ociMediaTypes: boolean;
}

export function cacheManifest(
  config: Descriptor,
  blobs: readonly Descriptor[],
  o: CacheManifestOptions,
): { mediaType: string; doc: ImageManifest | ImageIndex } {
  const cfg: Descriptor = { mediaType: CACHE_CONFIG_MEDIA_TYPE, digest: config.digest, size: config.size };
  if (o.imageManifest) {
    return { mediaType: MediaType.ociManifest, doc: { schemaVersion: 2, mediaType: MediaType.ociManifest, config: cfg, layers: [...blobs] } };
  }
  const mediaType = o.ociMediaTypes ? MediaType.ociIndex : MediaType.dockerManifestList;
  return { mediaType, doc: { schemaVersion: 2, mediaType, manifests: [...blobs, cfg] } };
}

/** The config descriptor and the layer blobs of a cache manifest (either form). */
export function splitCacheManifest(bytes: Uint8Array, what: string): { config: Descriptor; blobs: Descriptor[] } {
  const parsed = parseManifest(bytes, undefined, what);
  if (parsed.kind === 'index') {
    const all = parsed.index.manifests;
    const config = all.find((d) => d.mediaType === CACHE_CONFIG_MEDIA_TYPE);
    if (!config) throw new CacheFormatError(`${what} is an index without a ${CACHE_CONFIG_MEDIA_TYPE} entry: not a build cache`);
    return { config, blobs: all.filter((d) => d !== config) };
  }
  const { config, layers } = parsed.manifest;
  if (config.mediaType !== CACHE_CONFIG_MEDIA_TYPE) {
    throw new CacheFormatError(`${what} has config media type ${JSON.stringify(config.mediaType)}, not ${CACHE_CONFIG_MEDIA_TYPE}: not a build cache`);
  }
  return { config, blobs: layers };
}
