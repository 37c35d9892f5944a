// A cache in a registry repository: pushed as blobs then the manifest under the ref's tag; read
// back as the manifest and the config (small), while layer blobs stay there until a step needs
// them. Every blob that crosses is verified by digest before it is stored.
import type { Digest } from '../../llb/index.ts';
import type { ContentStore } from '../content-store.ts';
import { sha256 } from '../digest.ts';
import { DigestMismatchError } from '../errors.ts';
import { MANIFEST_ACCEPT } from '../manifest.ts';
import type { ImageReference } from '../reference.ts';
import { fetchBlob, pushBlob, recordBlobSource, type BlobPushResult, type PushProgress, type RegistryClient } from '../registry/index.ts';
import type { Descriptor } from '../types.ts';
import { parseCacheConfig, readCacheEntries } from './config.ts';
import { splitCacheManifest } from './manifest.ts';
import type { PreparedCache } from './prepare.ts';
import type { CacheEntry } from './types.ts';

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
}

/** Reads a cache's manifest and config; remembers the repository as the source of its blobs. */
export async function pullCache(client: RegistryClient, store: ContentStore, ref: ImageReference): Promise<PulledCache> {
  const res = await client.request(ref, 'pull', `manifests/${ref.digest ?? ref.tag ?? 'latest'}`, {
    headers: { accept: `${MANIFEST_ACCEPT}` },
    action: 'pull cache manifest of',
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const actual = sha256(bytes);
  const header = res.headers.get('docker-content-digest') ?? undefined;
  const expected = ref.digest ?? (header?.startsWith('sha256:') ? (header as Digest) : undefined);
  if (expected !== undefined && actual !== expected) {
    throw new DigestMismatchError(`cache manifest of ${ref.string}`, { digest: expected }, { digest: actual, size: bytes.byteLength });
  }
  const { config, blobs } = splitCacheManifest(bytes, `cache manifest of ${ref.string}`);
  await fetchBlob(client, store, ref, config);
  const entries = readCacheEntries(parseCacheConfig(await store.read(config.digest)), blobs);
  for (const b of blobs) await recordBlobSource(store, b.digest, ref);
  return { manifest: actual, entries, blobs: blobs.length };
}
