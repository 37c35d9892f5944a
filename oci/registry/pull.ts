// Pulling: resolve a reference to a platform's manifest and config (small, fetched at once), and
// layers as blob-backed sources fetched only when opened — so a build whose cache already holds
// every step never downloads its base's layers. `pullImage` downloads them all, in parallel.
// Every manifest and blob is verified against its digest before it enters the content store.
import type { Digest } from '../../llb/index.ts';
import type { ContentStore } from '../content-store.ts';
import { sha256 } from '../digest.ts';
import { DigestMismatchError, RegistryError } from '../errors.ts';
import { loadImage, type ResolvedImage } from '../image-store.ts';
import { MANIFEST_ACCEPT, parseManifest } from '../manifest.ts';
import { hostPlatform, selectPlatform } from '../platform.ts';
import { withDigest, type ImageReference } from '../reference.ts';
import type { Descriptor, OciPlatform } from '../types.ts';
import { responseStream, type RegistryClient } from './client.ts';

export interface PullProgress {
  reference: string;
  digest: Digest;
  /** Bytes received so far and the blob's size. */
  current: number;
  total: number;
  done: boolean;
}

export interface ResolveOptions {
  platform?: OciPlatform;
  /** Byte progress of each blob download. */
  onProgress?: (p: PullProgress) => void;
}

const SOURCE_LINK = 'blob-source';

/** Fetches one manifest (by tag or digest), verifies it, stores it; returns its descriptor. */
async function fetchManifest(
  client: RegistryClient,
  store: ContentStore,
  ref: ImageReference,
  tagOrDigest: string,
  expectDigest: Digest | undefined,
): Promise<Descriptor> {
  const res = await client.request(ref, 'pull', `manifests/${tagOrDigest}`, { headers: { accept: MANIFEST_ACCEPT }, action: 'pull manifest of' });
  const bytes = Buffer.from(await res.arrayBuffer());
  const actual = sha256(bytes);
  const headerDigest = res.headers.get('docker-content-digest') ?? undefined;
  const expected = expectDigest ?? (headerDigest?.startsWith('sha256:') ? (headerDigest as Digest) : undefined);
  if (expected !== undefined && actual !== expected) {
    throw new DigestMismatchError(`manifest of ${ref.string}`, { digest: expected }, { digest: actual, size: bytes.byteLength });
  }
  const parsed = parseManifest(bytes, res.headers.get('content-type') ?? undefined, `manifest of ${ref.string}`);
  await store.write(bytes, actual);
  return { mediaType: parsed.mediaType, digest: actual, size: bytes.byteLength };
}

/** Downloads one blob into the store (once, however many callers ask), verifying digest and size. */
export async function fetchBlob(
  client: RegistryClient,
  store: ContentStore,
  ref: ImageReference,
  d: Descriptor,
  onProgress?: (p: PullProgress) => void,
): Promise<void> {
  await store
    .ensure(
      d.digest,
      async () => {
        const res = await client.request(ref, 'pull', `blobs/${d.digest}`, { action: 'pull', blob: d.digest });
        return responseStream(res);
      },
      {
        size: d.size,
        what: `blob ${d.digest} of ${ref.string}`,
        ...(onProgress ? { onProgress: (n: number) => onProgress({ reference: ref.string, digest: d.digest, current: n, total: d.size, done: false }) } : {}),
      },
    )
    .catch((err: unknown) => {
      if (err instanceof DigestMismatchError) {
        throw new RegistryError({
          reference: ref.string,
          action: 'pull',
          blob: d.digest,
          registryMessage: `served content that does not match the digest (${err.message}); nothing was stored`,
          cause: err,
        });
      }
      throw err;
    });
  onProgress?.({ reference: ref.string, digest: d.digest, current: d.size, total: d.size, done: true });
  await recordBlobSource(store, d.digest, ref);
}

/** Remembers which repositories hold a blob, so a later push to the same registry can mount it. */
export async function recordBlobSource(store: ContentStore, digest: Digest, ref: ImageReference): Promise<void> {
  const hex = digest.slice('sha256:'.length);
  const known = (await store.getLink<string[]>(SOURCE_LINK, hex)) ?? [];
  if (known.includes(ref.name)) return;
  await store.setLink(SOURCE_LINK, hex, [...known, ref.name].slice(-8));
}

export async function blobSources(store: ContentStore, digest: Digest): Promise<string[]> {
  return (await store.getLink<string[]>(SOURCE_LINK, digest.slice('sha256:'.length))) ?? [];
}

/**
 * Resolves `ref` on its registry: manifest (platform selected from an index) and config are
 * fetched and verified; layers are fetched lazily when first opened or asked for as blobs.
 */
export async function resolveRemoteImage(client: RegistryClient, store: ContentStore, ref: ImageReference, opts: ResolveOptions = {}): Promise<ResolvedImage> {
  const platform = opts.platform ?? hostPlatform();
  const top = await fetchManifest(client, store, ref, ref.digest ?? ref.tag ?? 'latest', ref.digest);
  const parsed = parseManifest(await store.read(top.digest), top.mediaType, `manifest of ${ref.string}`);
  let manifest = parsed.kind === 'manifest' ? parsed.manifest : undefined;
  if (parsed.kind === 'index') {
    const chosen = selectPlatform(parsed.index.manifests, platform, ref.string);
    if (!(await store.has(chosen.digest))) await fetchManifest(client, store, ref, chosen.digest, chosen.digest);
    const pm = parseManifest(await store.read(chosen.digest), chosen.mediaType, `manifest of ${ref.string}`);
    if (pm.kind !== 'manifest') throw new Error(`${ref.string}: nested index ${chosen.digest} is not supported`);
    manifest = pm.manifest;
  }
  const resolvedRef = withDigest(ref, top.digest);
  const configDesc = manifest!.config;
  await fetchBlob(client, store, ref, configDesc);
  // Known to be in this repository: a push to the same registry can mount them without pulling.
  for (const l of manifest!.layers) await recordBlobSource(store, l.digest, ref);
  return loadImage(store, resolvedRef, top, platform, (d) => fetchBlob(client, store, ref, d, opts.onProgress));
}

export interface PullOptions extends ResolveOptions {
  /** Layers downloaded at the same time (default 3, as Docker). */
  concurrency?: number;
}

/** Resolves and downloads every layer, in parallel, reporting byte progress. */
export async function pullImage(client: RegistryClient, store: ContentStore, ref: ImageReference, opts: PullOptions = {}): Promise<ResolvedImage> {
  const image = await resolveRemoteImage(client, store, ref, opts);
  const queue = [...image.manifest.layers];
  let failed = false;
  const workers = Array.from({ length: Math.min(opts.concurrency ?? 3, queue.length) }, async () => {
    for (let d = queue.shift(); d && !failed; d = queue.shift()) {
      try {
        await fetchBlob(client, store, ref, d, opts.onProgress);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  // Downloads already running are let finish (or fail) before the first error is reported, so
  // nothing is still writing into the content store when the caller sees the failure.
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return image;
}
