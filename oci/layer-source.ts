// A layer as exporters see it: something that can produce its uncompressed tar, knows (or can
// compute) its diff_id, and can be turned into a blob of any compression in the content store.
//
// Blobs are made on demand and remembered per compression and level, in memory and as a link in
// the content store (diff_id + compression → blob), so the same layer exported twice, or by two
// processes, or on two different bases, is compressed once and gives the same bytes.
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AsyncMemo, asyncOnce, type Digest } from '../llb/index.ts';
import type { ContentStore } from './content-store.ts';
import { createCompressor, createDecompressor } from './compression/compress.ts';
import { compressionKey, compressionOfMediaType, ociLayerMediaType, type CompressionOptions } from './compression/types.ts';
import { digestHex, hashDigest } from './digest.ts';
import { BlobNotFoundError } from './errors.ts';
import { LayerFilesBuilder, layerTarChunks, listLayerTar, tapLayerFiles, type Change, type LayerFiles, type WriteLayerOptions } from './layer/index.ts';
import { loadLayerFiles, saveLayerFiles } from './layer-files-store.ts';
import type { Descriptor } from './types.ts';

export interface LayerSource {
  /** sha256 of the uncompressed tar: the image config's `rootfs.diff_ids` entry. */
  diffID(): Promise<Digest>;
  /** The uncompressed tar, streamed (errors arrive on the stream). */
  openTar(): Readable;
  /**
   * The layer as a blob in the content store with this compression; OCI media types. With
   * `lazy`, a blob that exists elsewhere already (a registry) is only described, not fetched:
   * for a push that can mount it across repositories instead.
   */
  blob(compression: CompressionOptions, opts?: { lazy?: boolean }): Promise<Descriptor>;
  /**
   * What the layer's tar lists. Made while a blob is compressed (no extra read), else from the
   * record an earlier export left, else by reading the tar once; remembered by diff_id.
   */
  files(): Promise<LayerFiles>;
  /** What made the layer; used for a history entry when none is given. */
  readonly description?: string;
}

const LINK_KIND = 'layer-blob';

interface LinkRecord {
  digest: Digest;
  size: number;
  mediaType: string;
}

async function lookupLink(store: ContentStore, diffID: Digest, c: CompressionOptions): Promise<Descriptor | undefined> {
  const rec = await store.getLink<LinkRecord>(`${LINK_KIND}-${compressionKey(c)}`, digestHex(diffID));
  if (!rec) return undefined;
  const info = await store.info(rec.digest);
  if (!info || info.size !== rec.size) return undefined;
  return { mediaType: rec.mediaType, digest: rec.digest, size: rec.size };
}

async function saveLink(store: ContentStore, diffID: Digest, c: CompressionOptions, d: Descriptor): Promise<void> {
  await store.setLink(`${LINK_KIND}-${compressionKey(c)}`, digestHex(diffID), { digest: d.digest, size: d.size, mediaType: d.mediaType } satisfies LinkRecord);
}

interface Compressed {
  diffID: Digest;
  blob: Descriptor;
  /** The tar's listing, read on the way through. */
  files: Promise<LayerFiles>;
}

/** Streams the tar through a compressor into the store, hashing and listing the uncompressed bytes on the way. */
async function compressInto(store: ContentStore, tar: Readable, c: CompressionOptions, expectDiffID?: Digest): Promise<Compressed> {
  const tap = tapLayerFiles();
  if (c.type === 'uncompressed') {
    // The blob is the tar itself: the store's digest of it is the diff_id, so one hashing pass
    // over a layer that may be hundreds of megabytes is enough.
    const tapped = new PassThrough();
    const [info] = await Promise.all([store.ingest(tapped), pipeline(tar, tap.stream, tapped)]);
    if (expectDiffID !== undefined && info.digest !== expectDiffID) {
      throw new Error(`layer content changed: expected diff_id ${expectDiffID}, the tar hashes to ${info.digest}`);
    }
    return { diffID: info.digest, blob: { mediaType: ociLayerMediaType(c.type), digest: info.digest, size: info.size }, files: tap.files };
  }
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const compressed = new PassThrough();
  const ingest = store.ingest(compressed);
  await Promise.all([pipeline(tar, tap.stream, hashing, createCompressor(c), compressed), ingest]);
  const diffID = hashDigest(hash);
  if (expectDiffID !== undefined && diffID !== expectDiffID) {
    throw new Error(`layer content changed: expected diff_id ${expectDiffID}, the tar hashes to ${diffID}`);
  }
  const info = await ingest;
  return { diffID, blob: { mediaType: ociLayerMediaType(c.type), digest: info.digest, size: info.size }, files: tap.files };
}

/** Keeps the listing a compression pass made, for this source and for later ones. */
async function keepFiles(store: ContentStore, memo: AsyncMemo<'files', LayerFiles>, made: Compressed): Promise<void> {
  let files: LayerFiles;
  try {
    files = await made.files;
  } catch {
    return; // not listable on the way: files() reads the tar itself when asked
  }
  if (!memo.peek('files')) memo.set('files', files);
  await saveLayerFiles(store, made.diffID, files);
}

/** The listing: the store's record for the diff_id, else one read of the tar. */
async function filesOf(store: ContentStore, diffID: Digest, openTar: () => Readable): Promise<LayerFiles> {
  const saved = await loadLayerFiles(store, diffID);
  if (saved) return saved;
  const files = await listLayerTar(openTar());
  await saveLayerFiles(store, diffID, files);
  return files;
}

async function hashTar(tar: Readable): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of tar) hash.update(chunk as Buffer);
  return hashDigest(hash);
}

/** One read of the tar for both its diff_id and its listing. */
async function hashAndList(tar: Readable): Promise<{ diffID: Digest; files: LayerFiles }> {
  const hash = createHash('sha256');
  const hashed = (async function* () {
    for await (const chunk of tar) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  })();
  const files = await listLayerTar(hashed);
  return { diffID: hashDigest(hash), files };
}

/**
 * Writes the layer tar of `changes` (in tree order) into the store as an uncompressed blob (its
 * digest is its diff_id), with the listing and the blob link an export would leave: exporting it
 * later reads nothing again. The tar is hashed and written as it is made, through buffers used
 * over and over, and listed from what the writer reports.
 */
export async function ingestLayerChanges(
  store: ContentStore,
  changes: AsyncIterable<Change> | Iterable<Change>,
  opts: Pick<WriteLayerOptions, 'onFileEntry' | 'readFile'> = {},
): Promise<{ descriptor: Descriptor; diffID: Digest }> {
  const c: CompressionOptions = { type: 'uncompressed' };
  const listing = new LayerFilesBuilder();
  const info = await store.ingestChunks(layerTarChunks(changes, { ...opts, reuseBuffers: true, onMember: (n, t, s) => listing.add(n, t, s) }));
  const descriptor: Descriptor = { mediaType: ociLayerMediaType(c.type), digest: info.digest, size: info.size };
  await Promise.all([saveLink(store, info.digest, c, descriptor), saveLayerFiles(store, info.digest, listing.done(info.size))]);
  return { descriptor, diffID: info.digest };
}

export interface TarLayerOptions {
  /** Opens the uncompressed tar; must give the same bytes every time it is called. */
  openTar: () => Readable;
  /** When already known (e.g. recorded with the snapshot), saves a pass over the tar. */
  diffID?: Digest;
  description?: string;
}

/** A layer produced as a tar on demand, e.g. the diff of a snapshot against its parent. */
export function tarLayerSource(store: ContentStore, opts: TarLayerOptions): LayerSource {
  // One entry: the diff_id, known up front, hashed on demand, or learnt while compressing.
  const diffID = new AsyncMemo<'diffID', Digest>();
  if (opts.diffID !== undefined) diffID.set('diffID', opts.diffID);
  const blobs = new AsyncMemo<string, Descriptor>();
  const files = new AsyncMemo<'files', LayerFiles>();
  const source: LayerSource = {
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    diffID: () => diffID.get('diffID', () => hashTar(opts.openTar())),
    openTar: () => opts.openTar(),
    blob: (c) =>
      blobs.get(compressionKey(c), async () => {
        const pending = diffID.peek('diffID');
        const known = pending ? await pending : undefined;
        if (known) {
          const linked = await lookupLink(store, known, c);
          if (linked) return linked;
        }
        const made = await compressInto(store, opts.openTar(), c, known);
        if (!diffID.peek('diffID')) diffID.set('diffID', made.diffID);
        await Promise.all([saveLink(store, made.diffID, c, made.blob), keepFiles(store, files, made)]);
        return made.blob;
      }),
    files: () =>
      files.get('files', async () => {
        const pending = diffID.peek('diffID');
        if (pending) return filesOf(store, await pending, opts.openTar);
        // Neither hashed nor compressed yet (an export that wrote a rewritten copy of the layer):
        // one read gives both.
        const made = await hashAndList(opts.openTar());
        if (!diffID.peek('diffID')) diffID.set('diffID', made.diffID);
        await saveLayerFiles(store, made.diffID, made.files);
        return made.files;
      }),
  };
  return source;
}

export interface BlobLayerOptions {
  /** The existing blob (compressed or not), as in a manifest. */
  descriptor: Descriptor;
  /** From the image config. */
  diffID: Digest;
  /** Brings the blob into the content store when it is not there yet (e.g. a registry download). */
  fetch?: () => Promise<void>;
  description?: string;
}

/**
 * A layer backed by an existing blob: a pulled layer, or a layer of an image in the local store.
 * Asked for the compression it already has, it returns that blob untouched (so base layers keep
 * their digests); other compressions are made from it once.
 */
export function blobLayerSource(store: ContentStore, opts: BlobLayerOptions): LayerSource {
  const { descriptor, diffID } = opts;
  const existing = compressionOfMediaType(descriptor.mediaType);
  const ensure = asyncOnce(async (): Promise<void> => {
    if (await store.has(descriptor.digest)) return;
    if (!opts.fetch) throw new BlobNotFoundError(descriptor.digest);
    await opts.fetch();
  });
  const blobs = new AsyncMemo<string, Descriptor>();
  const files = new AsyncMemo<'files', LayerFiles>();
  const openTar = (): Readable => {
    const out = new PassThrough();
    ensure()
      .then(() => store.open(descriptor.digest))
      .then((raw) => pipeline(raw, createDecompressor(existing), out))
      .catch((err: unknown) => out.destroy(err as Error));
    return out;
  };
  return {
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    diffID: () => Promise.resolve(diffID),
    openTar,
    blob: (c, o) => {
      const asIs = c.type === existing && (!c.force || c.type === 'uncompressed');
      if (asIs && o?.lazy) return Promise.resolve({ mediaType: ociLayerMediaType(existing), digest: descriptor.digest, size: descriptor.size });
      return blobs.get(compressionKey(c), async (): Promise<Descriptor> => {
        if (asIs) {
          await ensure();
          return { mediaType: ociLayerMediaType(existing), digest: descriptor.digest, size: descriptor.size };
        }
        const linked = await lookupLink(store, diffID, c);
        if (linked) return linked;
        const made = await compressInto(store, openTar(), c, diffID);
        await Promise.all([saveLink(store, diffID, c, made.blob), keepFiles(store, files, made)]);
        return made.blob;
      });
    },
    files: () => files.get('files', () => filesOf(store, diffID, openTar)),
  };
}
