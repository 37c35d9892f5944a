// BuildKit's distributable cache format (cache config v0), as tsbuild reads and writes it.
//
// A cache is a manifest (an OCI image manifest whose config is the cache config, or the older
// form: an index listing the layer blobs and the config) plus layer blobs. The cache config
// lists the layers as a forest (each layer names its parent by index, -1 for none) and the
// records: a record's digest is a cache key, and its result is the chain that ends at one layer.
import type { Digest } from '../../llb/index.ts';
import type { Descriptor } from '../types.ts';

export const CACHE_CONFIG_MEDIA_TYPE = 'application/vnd.buildkit.cacheconfig.v0';

/** Layer descriptor annotations BuildKit writes and reads. */
export const ANNOTATION_UNCOMPRESSED = 'containerd.io/uncompressed';
export const ANNOTATION_CREATED_AT = 'buildkit/createdat';

export interface CacheConfigLayer {
  readonly blob: Digest;
  /** Index of the layer below this one; -1 for a bottom layer (absent means 0, as Go's omitempty writes it). */
  readonly parent?: number;
  readonly annotations?: { mediaType?: string; diffID?: Digest; size?: number; createdAt?: string };
}

export interface CacheConfigRecord {
  readonly digest: Digest;
  /** Results: each the chain that ends at `layer`. */
  readonly layers?: readonly { layer: number; createdAt?: string }[];
  /** Results made of several chains stacked (merged refs); tsbuild reads none of these. */
  readonly chains?: readonly { layers: readonly number[]; createdAt?: string }[];
  /** BuildKit's links between records; tsbuild's records stand alone and have none. */
  readonly inputs?: readonly (readonly { selector?: string; link: number }[])[];
}

export interface CacheConfig {
  readonly layers?: readonly CacheConfigLayer[];
  readonly records?: readonly CacheConfigRecord[];
}

/** One layer blob of a cached result. */
export interface CacheBlob {
  /** As it is (or will be) in the cache's manifest; media type and size included. */
  readonly descriptor: Descriptor;
  /** Digest of the uncompressed tar. */
  readonly diffID: Digest;
  /** RFC 3339; when the layer was made. */
  readonly createdAt: string;
}

/** One cache key and the result it stands for: a chain of layer blobs, bottom first. */
export interface CacheEntry {
  readonly key: Digest;
  readonly createdAt: string;
  readonly chain: readonly CacheBlob[];
}
