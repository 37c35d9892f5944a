// The local image store: image names → manifest descriptors, in `<root>/images.json`, over the
// content store. Updates take a lock file and replace the index by rename, so two processes sharing
// a root never lose each other's names and a reader never sees half a file.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Digest } from '../llb/index.ts';
import type { ContentStore } from './content-store.ts';
import { ImageNotFoundError } from './errors.ts';
import { blobLayerSource, type LayerSource } from './layer-source.ts';
import { checkManifestConfig, parseImageConfig, parseManifest } from './manifest.ts';
import { hostPlatform, selectPlatform } from './platform.ts';
import { parseReference, type ImageReference } from './reference.ts';
import type { Descriptor, ImageConfig, ImageManifest, OciPlatform } from './types.ts';

export interface ImageRecord {
  /** Normalised reference: `docker.io/library/alpine:latest`. */
  name: string;
  target: Descriptor;
  /** RFC 3339 time the name was last set. */
  updatedAt: string;
}

/** An image ready to be a base: its config for the frontend, its layers for the snapshotter. */
export interface ResolvedImage {
  reference: ImageReference;
  /** The platform-specific manifest (after selecting from an index). */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  configDescriptor: Descriptor;
  config: ImageConfig;
  /** One per manifest layer; blobs are fetched (from a registry) only when a layer is opened. */
  layers: LayerSource[];
}

interface IndexFile {
  version: 1;
  images: Record<string, { target: Descriptor; updatedAt: string }>;
}

const LOCK_STALE_MS = 30_000;

export class ImageStore {
  readonly #file: string;
  readonly #lock: string;
  readonly #dir: string;
  readonly content: ContentStore;

  /** `root` is `$TSBUILD_ROOT`. */
  constructor(root: string, content: ContentStore) {
    this.#dir = root;
    this.#file = join(root, 'images.json');
    this.#lock = join(root, 'images.json.lock');
    this.content = content;
  }

  async list(): Promise<ImageRecord[]> {
    const idx = await this.#read();
    return Object.entries(idx.images)
      .map(([name, r]) => ({ name, target: r.target, updatedAt: r.updatedAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ImageRecord | undefined> {
    const key = normalizeName(name);
    const r = (await this.#read()).images[key];
    return r ? { name: key, target: r.target, updatedAt: r.updatedAt } : undefined;
  }

  /** Points `name` at a manifest (or index) already in the content store. */
  async put(name: string, target: Descriptor): Promise<void> {
    const key = normalizeName(name);
    if (!(await this.content.has(target.digest))) throw new Error(`cannot tag ${key}: manifest ${target.digest} is not in the content store`);
    await this.#update((idx) => {
      // A cached rebuild exports the same manifest: leave the index (and its fsync) alone.
      const cur = idx.images[key]?.target;
      if (cur?.digest === target.digest && cur.mediaType === target.mediaType && cur.size === target.size) return false;
      idx.images[key] = { target: { mediaType: target.mediaType, digest: target.digest, size: target.size }, updatedAt: new Date().toISOString() };
      return true;
    });
  }

  /** Removes a name; true when it existed. Blobs stay until garbage collection. */
  async remove(name: string): Promise<boolean> {
    const key = normalizeName(name);
    let existed = false;
    await this.#update((idx) => {
      existed = key in idx.images;
      delete idx.images[key];
    });
    return existed;
  }

  /** The image under `name`, or undefined when the store has no such name. */
  async resolve(name: string, platform: OciPlatform = hostPlatform()): Promise<ResolvedImage | undefined> {
    const record = await this.get(name);
    if (!record) return undefined;
    return loadImage(this.content, parseReference(record.name), record.target, platform);
  }

  async resolveOrThrow(name: string, platform?: OciPlatform): Promise<ResolvedImage> {
    const r = await this.resolve(name, platform);
    if (!r) throw new ImageNotFoundError(normalizeName(name), 'the local image store (see `tsbuild images`)');
    return r;
  }

  async #read(): Promise<IndexFile> {
    try {
      const doc = JSON.parse(await readFile(this.#file, 'utf8')) as IndexFile;
      if (doc.version !== 1 || typeof doc.images !== 'object') throw new Error(`${this.#file}: unknown format`);
      return doc;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: {} };
      throw err;
    }
  }

  /** Applies `change` under the lock; a change that returns false wrote nothing. */
  async #update(change: (idx: IndexFile) => boolean | void): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await this.#acquire();
    try {
      const idx = await this.#read();
      if (change(idx) === false) return;
      const tmp = `${this.#file}.${randomBytes(6).toString('hex')}.tmp`;
      const sorted: IndexFile = { version: 1, images: {} };
      for (const k of Object.keys(idx.images).sort()) sorted.images[k] = idx.images[k]!;
      await writeFile(tmp, `${JSON.stringify(sorted, null, 2)}\n`);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      await rename(tmp, this.#file);
    } finally {
      await rm(this.#lock, { force: true });
    }
  }

  async #acquire(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(this.#lock, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A holder that died leaves its lock behind; past the stale age it is taken over.
        const s = await stat(this.#lock).catch(() => undefined);
        if (s && Date.now() - s.mtimeMs > LOCK_STALE_MS) await rm(this.#lock, { force: true });
        await delay(Math.min(2 * (attempt + 1), 25));
      }
    }
  }
}

export function normalizeName(name: string): string {
  return parseReference(name).string;
}

/**
 * Reads manifest (selecting the platform from an index) and config from the content store and
 * returns the image with layers backed by blobs; `fetchBlob` brings a missing layer blob in.
 */
export async function loadImage(
  content: ContentStore,
  reference: ImageReference,
  target: Descriptor,
  platform: OciPlatform,
  fetchBlob?: (d: Descriptor) => Promise<void>,
): Promise<ResolvedImage> {
  let descriptor = target;
  let parsed = parseManifest(await content.read(descriptor.digest), descriptor.mediaType, `manifest of ${reference.string}`);
  if (parsed.kind === 'index') {
    descriptor = selectPlatform(parsed.index.manifests, platform, reference.string);
    parsed = parseManifest(await content.read(descriptor.digest), descriptor.mediaType, `manifest of ${reference.string}`);
    if (parsed.kind !== 'manifest') throw new Error(`${reference.string}: nested index ${descriptor.digest} is not supported`);
  }
  const manifest = parsed.manifest;
  const config = parseImageConfig(await content.read(manifest.config.digest), `config of ${reference.string}`);
  checkManifestConfig(manifest, config, reference.string);
  const layers = manifest.layers.map((d, i) =>
    blobLayerSource(content, {
      descriptor: d,
      diffID: config.rootfs.diff_ids[i] as Digest,
      ...(fetchBlob ? { fetch: () => fetchBlob(d) } : {}),
      description: `${reference.familiar} layer ${i + 1}`,
    }),
  );
  return { reference, manifestDescriptor: descriptor, manifest, configDescriptor: manifest.config, config, layers };
}
