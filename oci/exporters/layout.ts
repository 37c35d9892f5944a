// OCI image layouts (image-spec `image-layout.md`): `oci-layout`, `index.json`, `blobs/sha256/<hex>`,
// as a directory or as a tar. The `docker` flavour adds `manifest.json` and `repositories`, which
// is what `docker load` reads; the OCI files stay, so the same tar is also an OCI layout.
import { copyFile, link, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../llb/index.ts';
import type { ContentStore } from '../content-store.ts';
import { digestHex } from '../digest.ts';
import type { WrittenImage } from '../image-writer.ts';
import type { WrittenIndex } from './image-index.ts';
import { parseReference } from '../reference.ts';
import { MediaType, type Descriptor, type ImageIndex } from '../types.ts';

export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';

export interface LayoutImage {
  /** One image, or an index of one image per platform. */
  image: WrittenImage | WrittenIndex;
  /** Image names (any reference form); each becomes an index.json entry. */
  names: readonly string[];
}

export interface LayoutOptions {
  /** Add docker's `manifest.json` and `repositories`. */
  docker?: boolean;
  /** mtime of tar entries, seconds (default 0, for reproducible archives). */
  mtime?: number;
}

const isIndex = (image: WrittenImage | WrittenIndex): image is WrittenIndex => 'index' in image;

function topDescriptor(image: WrittenImage | WrittenIndex): Descriptor {
  return isIndex(image) ? image.descriptor : image.manifestDescriptor;
}

function indexEntries(images: readonly LayoutImage[]): Descriptor[] {
  const out: Descriptor[] = [];
  for (const { image, names } of images) {
    const top = topDescriptor(image);
    const base: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.size };
    if (names.length === 0) out.push(base);
    for (const n of names) {
      const ref = parseReference(n);
      out.push({ ...base, annotations: { [ANNOTATION_IMAGE_NAME]: ref.string, ...(ref.tag !== undefined ? { [ANNOTATION_REF_NAME]: ref.tag } : {}) } });
    }
  }
  return out;
}

function blobList(images: readonly LayoutImage[]): Descriptor[] {
  const all = new Map<Digest, Descriptor>();
  for (const { image } of images) {
    const parts = isIndex(image) ? image.images : [image];
    if (isIndex(image)) all.set(image.descriptor.digest, image.descriptor);
    for (const p of parts) for (const d of [p.manifestDescriptor, p.configDescriptor, ...p.layers]) all.set(d.digest, d);
  }
  return [...all.values()].sort((a, b) => a.digest.localeCompare(b.digest));
}

function dockerFiles(entries: readonly LayoutImage[]): { manifestJson: string; repositories: string } {
  const images = entries.map(({ image, names }) => {
    if (isIndex(image)) throw new Error('a docker archive holds single images, not an index');
    return { image, names };
  });
  const manifest = images.map(({ image, names }) => ({
    Config: `blobs/sha256/${digestHex(image.configDescriptor.digest)}`,
    RepoTags: names
      .map((n) => parseReference(n))
      .filter((r) => r.tag !== undefined)
      .map((r) => r.familiar.replace(/@.*$/, '')),
    Layers: image.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
  }));
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, names } of images) {
    const top = image.layers.at(-1);
    if (!top) continue;
    for (const n of names) {
      const r = parseReference(n);
      if (r.tag === undefined) continue;
      const repo = r.familiar.slice(0, r.familiar.length - r.tag.length - 1).replace(/@.*$/, '');
      (repositories[repo] ??= {})[r.tag] = digestHex(top.digest);
    }
  }
  return { manifestJson: JSON.stringify(manifest), repositories: JSON.stringify(repositories) };
}

const ociLayoutFile = JSON.stringify({ imageLayoutVersion: '1.0.0' });

function indexFile(manifests: Descriptor[]): string {
  const idx: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  return JSON.stringify(idx);
}

/** Streams the layout as a tar into `out` (which is ended). */
export async function writeLayoutTar(store: ContentStore, images: readonly LayoutImage[], out: Writable, opts: LayoutOptions = {}): Promise<void> {
  // tar-stream (and its dependencies) load only when a tar is written: most builds never do.
  const { pack: tarPack } = await import('tar-stream');
  const pack = tarPack();
  const mtime = new Date((opts.mtime ?? 0) * 1000);
  const done = pipeline(pack, out);
  const addFile = (name: string, content: string): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, mode: 0o644, mtime, uid: 0, gid: 0 }, content, (err) => (err ? reject(err) : resolve())));
  const addDir = (name: string): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, type: 'directory', mode: 0o755, mtime, uid: 0, gid: 0 }, (err) => (err ? reject(err) : resolve())));
  try {
    await addFile('oci-layout', ociLayoutFile);
    await addDir('blobs/');
    await addDir('blobs/sha256/');
    for (const d of blobList(images)) {
      const src = await store.open(d.digest);
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: `blobs/sha256/${digestHex(d.digest)}`, size: d.size, mode: 0o644, mtime, uid: 0, gid: 0 }, (err) =>
          err ? reject(err) : resolve(),
        );
        src.on('error', reject);
        src.pipe(entry);
      });
    }
    await addFile('index.json', indexFile(indexEntries(images)));
    if (opts.docker) {
      const { manifestJson, repositories } = dockerFiles(images);
      await addFile('manifest.json', manifestJson);
      await addFile('repositories', repositories);
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await done;
}

/**
 * Writes (or adds to) a layout directory. Entries of an existing index.json that carry the same
 * image name are replaced; the others are kept, as for a shared OCI layout store.
 */
export async function writeLayoutDir(store: ContentStore, images: readonly LayoutImage[], dir: string, opts: LayoutOptions = {}): Promise<void> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  for (const d of blobList(images)) {
    const target = join(blobsDir, digestHex(d.digest));
    const tmp = `${target}.tmp-${process.pid}`;
    // A hard link costs nothing when the directory shares the store's filesystem.
    await link(store.blobPath(d.digest), tmp).catch(() => copyFile(store.blobPath(d.digest), tmp));
    await rename(tmp, target);
  }
  await writeAtomic(join(dir, 'oci-layout'), ociLayoutFile);
  let existing: Descriptor[];
  try {
    existing = (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex).manifests ?? [];
  } catch {
    existing = [];
  }
  const fresh = indexEntries(images);
  const names = new Set(fresh.map((d) => d.annotations?.[ANNOTATION_IMAGE_NAME]).filter(Boolean));
  const kept = existing.filter((d) => {
    const n = d.annotations?.[ANNOTATION_IMAGE_NAME];
    return n === undefined ? !fresh.some((f) => f.digest === d.digest && f.annotations === undefined) : !names.has(n);
  });
  await writeAtomic(join(dir, 'index.json'), indexFile([...kept, ...fresh]));
  if (opts.docker) {
    const { manifestJson, repositories } = dockerFiles(images);
    await writeAtomic(join(dir, 'manifest.json'), manifestJson);
    await writeAtomic(join(dir, 'repositories'), repositories);
  }
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
