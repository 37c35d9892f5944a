// A cache in a registry repository: pushed as blobs then the manifest under the ref's tag; read
// back as the manifest and the config (small), while layer blobs stay there until a step needs
// them. Every blob that crosses is verified by digest before it is stored.
import type { Digest } from '../../llb/index.ts';
import type { ContentStore } from '../content-store.ts';
import { sha256 } from '../digest.ts';
import { DigestMismatchError } from '../errors.ts';
import { MANIFEST_ACCEPT, parseManifest, type ParsedManifest } from '../manifest.ts';
import type { ImageReference } from '../reference.ts';
import { fetchBlob, pushBlob, recordBlobSource, type BlobPushResult, type PushProgress, type RegistryClient } from '../registry/index.ts';
import type { Descriptor, ImageConfig, ImageManifest, OciPlatform } from '../types.ts';
import { hostPlatform, selectPlatform } from '../platform.ts';
import { CacheFormatError, parseCacheConfig, readCacheEntries } from './config.ts';
import { splitCacheManifest } from './manifest.ts';
import type { PreparedCache } from './prepare.ts';
import { ANNOTATION_UNCOMPRESSED, CACHE_CONFIG_MEDIA_TYPE, type CacheEntry } from './types.ts';

export interface CachePushOptions {
  /** Brings a blob that is not local yet into the content store (only when it must be uploaded). */
  ensureLocal?: (d: Descriptor) => Promise<void>;
  onProgress?: (p: PushProgress) => void;
}

export async function pushCache(
  client: RegistryClient,
  store: ContentStore,
  ref: ImageReference,
  cache: PreparedCache,
  opts: CachePushOptions = {},
): Promise<{ digest: Digest; blobs: { digest: Digest; result: BlobPushResult }[] }> {
  const queue = [...cache.blobs, cache.config];
  const results: { digest: Digest; result: BlobPushResult }[] = [];
  await Promise.all(
    Array.from({ length: Math.min(3, queue.length) }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        results.push({ digest: d.digest, result: await pushBlob(client, store, ref, d, opts) });
      }
    }),
  );
  const res = await client.request(ref, 'pull,push', `manifests/${ref.tag ?? ref.digest ?? 'latest'}`, {
    method: 'PUT',
    headers: { 'content-type': cache.manifest.mediaType },
    body: cache.manifestBytes,
    action: 'push cache manifest to',
  });
  await res.body?.cancel();
  return { digest: cache.manifest.digest, blobs: results.sort((a, b) => a.digest.localeCompare(b.digest)) };
}

export interface PulledCache {
  readonly manifest: Digest;
  readonly entries: CacheEntry[];
  readonly blobs: number;
  /** Bytes read: the manifest(s) and the cache config. */
  readonly bytes: number;
}

async function fetchManifestBytes(client: RegistryClient, ref: ImageReference, tagOrDigest: string, expectDigest: Digest | undefined): Promise<Buffer> {
  const res = await client.request(ref, 'pull', `manifests/${tagOrDigest}`, { headers: { accept: MANIFEST_ACCEPT }, action: 'pull cache manifest of' });
  const bytes = Buffer.from(await res.arrayBuffer());
  const actual = sha256(bytes);
  const header = res.headers.get('docker-content-digest') ?? undefined;
  const expected = expectDigest ?? (header?.startsWith('sha256:') ? (header as Digest) : undefined);
  if (expected !== undefined && actual !== expected) {
    throw new DigestMismatchError(`cache manifest of ${ref.string}`, { digest: expected }, { digest: actual, size: bytes.byteLength });
  }
  return bytes;
}

/**
 * Reads a cache's manifest and config; remembers the repository as the source of its blobs. An
 * image (for this platform, from an index) whose config carries an inline cache
 * (`moby.buildkit.cache.v0`) is read as a cache of its own layers.
 */
export async function pullCache(client: RegistryClient, store: ContentStore, ref: ImageReference, platform?: OciPlatform): Promise<PulledCache> {
  const bytes = await fetchManifestBytes(client, ref, ref.digest ?? ref.tag ?? 'latest', ref.digest);
  const what = `cache manifest of ${ref.string}`;
  const parsed = parseManifest(bytes, undefined, what);
  const isCache =
    parsed.kind === 'index'
      ? parsed.index.manifests.some((d) => d.mediaType === CACHE_CONFIG_MEDIA_TYPE)
      : parsed.manifest.config.mediaType === CACHE_CONFIG_MEDIA_TYPE;
  if (!isCache) return pullInlineCache(client, store, ref, parsed, sha256(bytes), platform ?? hostPlatform(), bytes.byteLength);
  const { config, blobs } = splitCacheManifest(bytes, what);
  await fetchBlob(client, store, ref, config);
  const entries = readCacheEntries(parseCacheConfig(await store.read(config.digest)), blobs);
  for (const b of blobs) await recordBlobSource(store, b.digest, ref);
  return { manifest: sha256(bytes), entries, blobs: blobs.length, bytes: bytes.byteLength + config.size };
}

async function pullInlineCache(
  client: RegistryClient,
  store: ContentStore,
  ref: ImageReference,
  parsed: ParsedManifest,
  top: Digest,
  platform: OciPlatform,
  read: number,
): Promise<PulledCache> {
  let bytesRead = read;
  let manifest: ImageManifest;
  let digest = top;
  if (parsed.kind === 'index') {
    const chosen = selectPlatform(parsed.index.manifests, platform, ref.string);
    const bytes = await fetchManifestBytes(client, ref, chosen.digest, chosen.digest);
    bytesRead += bytes.byteLength;
    const inner = parseManifest(bytes, chosen.mediaType, `manifest of ${ref.string}`);
    if (inner.kind !== 'manifest') throw new CacheFormatError(`${ref.string}: nested index ${chosen.digest} is not supported`);
    manifest = inner.manifest;
    digest = chosen.digest;
  } else {
    manifest = parsed.manifest;
  }
  await fetchBlob(client, store, ref, manifest.config);
  const config = JSON.parse((await store.read(manifest.config.digest)).toString('utf8')) as ImageConfig;
  const inline = config['moby.buildkit.cache.v0'];
  if (typeof inline !== 'string') throw new CacheFormatError(`${ref.string} is an image without an inline cache, and not a build cache`);
  const diffIDs = config.rootfs?.diff_ids ?? [];
  // The image's own layers are the cache's blobs; their diff_ids come from the image config.
  const blobs: Descriptor[] = manifest.layers.map((l, i) => ({
    ...l,
    annotations: { ...l.annotations, ...(diffIDs[i] ? { [ANNOTATION_UNCOMPRESSED]: diffIDs[i] } : {}) },
  }));
  const entries = readCacheEntries(parseCacheConfig(Buffer.from(inline, 'base64')), blobs);
  for (const b of blobs) await recordBlobSource(store, b.digest, ref);
  return { manifest: digest, entries, blobs: blobs.length, bytes: bytesRead + manifest.config.size };
}
