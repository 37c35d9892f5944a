// A cache in a local directory: an OCI image layout whose index.json names the cache manifest by
// tag (`org.opencontainers.image.ref.name`, default `latest`), as BuildKit's local cache does.
// Writing copies only blobs the directory lacks and replaces index.json atomically.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import type { ContentStore } from '../content-store.ts';
import { digestHex } from '../digest.ts';
import { ANNOTATION_REF_NAME } from '../exporters/index.ts';
import type { Descriptor, ImageIndex } from '../types.ts';
import { MediaType } from '../types.ts';
import { CacheFormatError, parseCacheConfig, readCacheEntries } from './config.ts';
import { splitCacheManifest } from './manifest.ts';
import type { PreparedCache } from './prepare.ts';
import type { PulledCache } from './registry.ts';

export function localBlobPath(dir: string, digest: Digest): string {
  return join(dir, 'blobs', 'sha256', digestHex(digest));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function readIndex(dir: string): Promise<ImageIndex | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'index.json'), 'utf8');
  } catch {
    return undefined;
  }
  const index = JSON.parse(text) as ImageIndex;
  if (!Array.isArray(index.manifests)) throw new CacheFormatError(`${dir}/index.json has no "manifests" list`);
  return index;
}

export async function writeLocalCache(
  store: ContentStore,
  dir: string,
  tag: string,
  cache: PreparedCache,
  ensureLocal: (d: Descriptor) => Promise<void>,
): Promise<{ copied: number; present: number }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  let copied = 0;
  let present = 0;
  for (const d of [...cache.blobs, cache.config, cache.manifest]) {
    const to = localBlobPath(dir, d.digest);
    if (await exists(to)) {
      present++;
      continue;
    }
    await ensureLocal(d);
    const tmp = `${to}.tmp-${process.pid}`;
    await copyFile(store.blobPath(d.digest), tmp);
    await rename(tmp, to);
    copied++;
  }
  const old = (await readIndex(dir).catch(() => undefined))?.manifests ?? [];
  const entry: Descriptor = { ...cache.manifest, annotations: { [ANNOTATION_REF_NAME]: tag } };
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [...old.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] !== tag), entry],
  };
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const tmp = join(dir, `index.json.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(index));
  await rename(tmp, join(dir, 'index.json'));
  return { copied, present };
}

/** Brings one blob of a local cache into the content store, verified. */
export async function importLocalBlob(store: ContentStore, dir: string, d: Descriptor): Promise<void> {
  await store.ensure(d.digest, () => createReadStream(localBlobPath(dir, d.digest)), { size: d.size, what: `blob ${d.digest} of cache ${dir}` });
}

export async function readLocalCache(store: ContentStore, dir: string, tag: string): Promise<PulledCache> {
  const index = await readIndex(dir);
  if (!index) throw new CacheFormatError(`${dir} holds no cache (no index.json)`);
  const top = index.manifests.find((m) => m.annotations?.[ANNOTATION_REF_NAME] === tag);
  if (!top) throw new CacheFormatError(`${dir} has no cache tagged "${tag}"`);
  await importLocalBlob(store, dir, top);
  const { config, blobs } = splitCacheManifest(await store.read(top.digest), `cache manifest ${top.digest} in ${dir}`);
  await importLocalBlob(store, dir, config);
  const entries = readCacheEntries(parseCacheConfig(await store.read(config.digest)), blobs);
  return { manifest: top.digest, entries, blobs: blobs.length, bytes: top.size + config.size };
}
