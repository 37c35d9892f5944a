// Pushing: every blob is first checked with HEAD (already there → skipped), then, when the content
// store knows another repository on the same registry holding it, mounted from there
// (`POST …/blobs/uploads/?mount=<digest>&from=<repo>`); otherwise uploaded — in one PUT when small,
// in PATCH chunks then a closing PUT when large, so memory stays bounded. The manifest goes last.
import { open } from 'node:fs/promises';
import type { Digest } from '../../llb/index.ts';
import type { ContentStore } from '../content-store.ts';
import { sha256 } from '../digest.ts';
import { RegistryError } from '../errors.ts';
import { withDigest, type ImageReference } from '../reference.ts';
import type { Descriptor, ImageManifest } from '../types.ts';
import type { RegistryClient } from './client.ts';
import { blobSources, recordBlobSource } from './pull.ts';

export type BlobPushResult = 'exists' | 'mounted' | 'uploaded';

export interface PushProgress {
  reference: string;
  digest: Digest;
  current: number;
  total: number;
  done: boolean;
  result?: BlobPushResult;
}

export interface PushOptions {
  /** Blobs larger than this go up in chunks of this size (default 16 MiB). */
  chunkSize?: number;
  concurrency?: number;
  onProgress?: (p: PushProgress) => void;
  /** Brings a blob the content store lacks into it, when it has to be uploaded (not mounted, not present). */
  ensureLocal?: (d: Descriptor) => Promise<void>;
}

export interface PushResult {
  reference: ImageReference;
  digest: Digest;
  blobs: { digest: Digest; result: BlobPushResult }[];
}

export interface ManifestToPush {
  descriptor: Descriptor;
  manifest: ImageManifest;
  bytes: Uint8Array;
}

export async function pushImage(
  client: RegistryClient,
  store: ContentStore,
  ref: ImageReference,
  m: ManifestToPush,
  opts: PushOptions = {},
): Promise<PushResult> {
  const digest = sha256(m.bytes);
  if (digest !== m.descriptor.digest) throw new Error(`manifest bytes hash to ${digest}, not ${m.descriptor.digest}`);
  if (ref.digest !== undefined && ref.digest !== digest) {
    throw new Error(`cannot push to ${ref.string}: the image's manifest is ${digest}`);
  }
  const blobs = [m.manifest.config, ...m.manifest.layers];
  const unique = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  const results: { digest: Digest; result: BlobPushResult }[] = [];
  const queue = [...unique];
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? 3, queue.length) }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) results.push({ digest: d.digest, result: await pushBlob(client, store, ref, d, opts) });
    }),
  );
  await putManifest(client, ref, m.descriptor.mediaType, m.bytes);
  return { reference: withDigest(ref, digest), digest, blobs: results.sort((a, b) => a.digest.localeCompare(b.digest)) };
}

/**
 * PUTs a manifest or an index under the reference's tag (by digest when it has none); the blobs
 * and manifests it names must already be in the repository.
 */
export async function putManifest(client: RegistryClient, ref: ImageReference, mediaType: string, bytes: Uint8Array): Promise<Digest> {
  const digest = sha256(bytes);
  const res = await client.request(ref, 'pull,push', `manifests/${ref.tag ?? digest}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
    action: 'push manifest to',
  });
  await res.body?.cancel();
  const echoed = res.headers.get('docker-content-digest');
  if (echoed && echoed !== digest) {
    throw new RegistryError({
      reference: ref.string,
      action: 'push manifest to',
      status: res.status,
      registryMessage: `registry stored the manifest as ${echoed}, expected ${digest}`,
    });
  }
  return digest;
}

export async function pushBlob(
  client: RegistryClient,
  store: ContentStore,
  ref: ImageReference,
  d: Descriptor,
  opts: PushOptions = {},
): Promise<BlobPushResult> {
  const report = (current: number, done: boolean, result?: BlobPushResult): void =>
    opts.onProgress?.({ reference: ref.string, digest: d.digest, current, total: d.size, done, ...(result ? { result } : {}) });
  const head = await client.request(ref, 'pull,push', `blobs/${d.digest}`, { method: 'HEAD', action: 'check blob in', blob: d.digest, accept: [404] });
  if (head.status === 200) {
    report(d.size, true, 'exists');
    return 'exists';
  }
  const mountFrom = (await blobSources(store, d.digest))
    .map((n) => n.split('/'))
    .filter(([domain, ...rest]) => domain === ref.domain && rest.join('/') !== ref.path)
    .map(([, ...rest]) => rest.join('/'));
  let location: string | undefined;
  for (const from of mountFrom) {
    const res = await client.request(ref, 'pull,push', `blobs/uploads/?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(from)}`, {
      method: 'POST',
      action: 'mount blob into',
      blob: d.digest,
      extraPullScopes: [from],
      accept: [202, 404],
    });
    await res.body?.cancel();
    if (res.status === 201) {
      await recordBlobSource(store, d.digest, ref);
      report(d.size, true, 'mounted');
      return 'mounted';
    }
    // 202: the registry could not mount but opened an upload session we can use.
    if (res.status === 202) {
      location = res.headers.get('location') ?? undefined;
      break;
    }
  }
  if (location === undefined) {
    const res = await client.request(ref, 'pull,push', 'blobs/uploads/', {
      method: 'POST',
      action: 'start blob upload to',
      blob: d.digest,
      headers: { 'content-length': '0' },
    });
    await res.body?.cancel();
    location = res.headers.get('location') ?? undefined;
  }
  if (!location)
    throw new RegistryError({ reference: ref.string, action: 'start blob upload to', blob: d.digest, registryMessage: 'no Location header in the answer' });
  location = new URL(location, client.url(ref, '/')).toString();

  const chunkSize = opts.chunkSize ?? 16 << 20;
  if (opts.ensureLocal && !(await store.has(d.digest))) await opts.ensureLocal(d);
  const fh = await open(store.blobPath(d.digest), 'r');
  try {
    if (d.size <= chunkSize) {
      const body = d.size === 0 ? new Uint8Array(0) : (await fh.read(Buffer.alloc(d.size), 0, d.size, 0)).buffer;
      const res = await client.request(ref, 'pull,push', withQuery(location, 'digest', d.digest), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
        body,
        action: 'upload blob to',
        blob: d.digest,
      });
      await res.body?.cancel();
    } else {
      for (let off = 0; off < d.size; off += chunkSize) {
        const n = Math.min(chunkSize, d.size - off);
        const { buffer } = await fh.read(Buffer.alloc(n), 0, n, off);
        const res = await client.request(ref, 'pull,push', location, {
          method: 'PATCH',
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(n), 'content-range': `${off}-${off + n - 1}` },
          body: buffer,
          action: 'upload blob chunk to',
          blob: d.digest,
        });
        await res.body?.cancel();
        const next = res.headers.get('location');
        if (next) location = new URL(next, location).toString();
        report(off + n, false);
      }
      const res = await client.request(ref, 'pull,push', withQuery(location, 'digest', d.digest), {
        method: 'PUT',
        headers: { 'content-length': '0' },
        action: 'finish blob upload to',
        blob: d.digest,
      });
      await res.body?.cancel();
    }
  } finally {
    await fh.close();
  }
  await recordBlobSource(store, d.digest, ref);
  report(d.size, true, 'uploaded');
  return 'uploaded';
}

function withQuery(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
