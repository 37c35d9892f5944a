// The exporters that produce images: `image` (local store, optional push), `oci` and `docker`
// (layout archives). They share `writeImage`; they differ in compression, media types and where
// the result goes.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ContentStore } from '../content-store.ts';
import { OutputSpecError } from '../errors.ts';
import { type CompressionOptions } from '../compression/index.ts';
import type { ImageConfigInput } from '../image-config.ts';
import type { ImageStore } from '../image-store.ts';
import { writeImage, type WrittenImage } from '../image-writer.ts';
import type { LayerSource } from '../layer-source.ts';
import type { Descriptor } from '../types.ts';
import type { ArchiveOutput, ImageOutput } from '../output-spec.ts';
import { makeReference, parseReference, type ImageReference } from '../reference.ts';
import { pushImage, putManifest, type RegistryClient, type PushProgress, type PushResult } from '../registry/index.ts';
import { writeIndex, type WrittenIndex } from './image-index.ts';
import { writeLayoutDir, writeLayoutTar } from './layout.ts';
import { clampedLayerSource } from './rewrite-timestamp.ts';

/** What the build hands to an exporter. */
export interface ExportableImage {
  /** Base layers first, then the build's own (a merged ref contributes each input's layers). */
  layers: readonly LayerSource[];
  /** How many leading layers came from the base image (left untouched by rewrite-timestamp). */
  baseLayerCount?: number;
  config: ImageConfigInput;
}

export interface ImageExportContext {
  content: ContentStore;
  images: ImageStore;
  /** Needed only for push=true. */
  registry?: RegistryClient;
  onPushProgress?: (p: PushProgress) => void;
}

function prepare(
  content: ContentStore,
  image: ExportableImage,
  o: { rewriteTimestamp: boolean; sourceDateEpoch: number | undefined },
): { layers: LayerSource[]; config: ImageConfigInput } {
  const epoch = o.sourceDateEpoch ?? image.config.sourceDateEpoch;
  const base = image.baseLayerCount ?? 0;
  const layers = image.layers.map((l, i) => (o.rewriteTimestamp && epoch !== undefined && i >= base ? clampedLayerSource(content, l, epoch) : l));
  return { layers, config: { ...image.config, ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}) } };
}

/** A list is several platforms' images, exported as one index; a single image stays one. */
function asList(image: ExportableImage | readonly ExportableImage[]): { list: readonly ExportableImage[]; multi: boolean } {
  return Array.isArray(image) ? { list: image as readonly ExportableImage[], multi: true } : { list: [image as ExportableImage], multi: false };
}

export interface ImageExportResult {
  /** Manifest in the local store (uncompressed layers), when stored. */
  local?: WrittenImage;
  /** The index in the local store, when several platforms were stored. */
  localIndex?: WrittenIndex;
  names: string[];
  pushed: PushResult[];
}

/**
 * `type=image`: the local store keeps layers uncompressed (cheap to write, cheap to use as a
 * base); pushing compresses them (in parallel, memoised per compression) into a second manifest.
 */
export async function exportToImageStore(
  ctx: ImageExportContext,
  image: ExportableImage | readonly ExportableImage[],
  spec: ImageOutput,
  extraNames: readonly string[] = [],
): Promise<ImageExportResult> {
  const names = [...new Set([...spec.names, ...extraNames].map((n) => parseReference(n).string))];
  const { list, multi } = asList(image);
  const prepared = list.map((i) => prepare(ctx.content, i, spec));
  const annotations = spec.annotations;
  let local: WrittenImage | undefined;
  let localIndex: WrittenIndex | undefined;
  if (spec.store) {
    const written = await Promise.all(
      prepared.map((p) => writeImage(ctx.content, p, { compression: { type: 'uncompressed' }, mediaTypes: 'oci', annotations })),
    );
    if (multi) localIndex = await writeIndex(ctx.content, written, 'oci');
    else local = written[0];
    const target = localIndex?.descriptor ?? local!.manifestDescriptor;
    for (const n of names) await ctx.images.put(n, target);
  }
  const pushed: PushResult[] = [];
  if (spec.push) {
    if (!ctx.registry) throw new Error('push=true needs a registry client');
    const registry = ctx.registry;
    const mediaTypes = spec.ociMediaTypes ? 'oci' : 'docker';
    // Without a local copy, layers that exist in a registry stay there: the push mounts them
    // (same registry) and fetches only what it must upload.
    const remote = await Promise.all(
      prepared.map((p) => writeImage(ctx.content, p, { compression: spec.compression, mediaTypes, annotations, lazyBlobs: !spec.store })),
    );
    const sources = new Map(remote.flatMap((w, i) => w.layers.map((d, j) => [d.digest, prepared[i]!.layers[j]!] as const)));
    const ensureLocal = async (d: Descriptor): Promise<void> => {
      await sources.get(d.digest)?.blob(spec.compression);
    };
    const options = { ensureLocal, ...(ctx.onPushProgress ? { onProgress: ctx.onPushProgress } : {}) };
    const pushOne = (ref: ImageReference, w: WrittenImage) =>
      pushImage(registry, ctx.content, ref, { descriptor: w.manifestDescriptor, manifest: w.manifest, bytes: w.manifestBytes }, options);
    const index = multi ? await writeIndex(ctx.content, remote, mediaTypes) : undefined;
    for (const n of names) {
      const ref = parseReference(n);
      if (!index) {
        pushed.push(await pushOne(ref, remote[0]!));
        continue;
      }
      // The platforms' manifests go up by digest; the index, which names them, goes last.
      const byDigest = makeReference(ref.domain, ref.path, undefined, undefined);
      const parts = await Promise.all(remote.map((w) => pushOne(byDigest, w)));
      const digest = await putManifest(registry, ref, index.descriptor.mediaType, index.bytes);
      pushed.push({ reference: makeReference(ref.domain, ref.path, ref.tag, digest), digest, blobs: parts.flatMap((p) => p.blobs) });
    }
  }
  return { ...(local ? { local } : {}), ...(localIndex ? { localIndex } : {}), names, pushed };
}

/** `type=oci` / `type=docker`: a layout tar (file or stream) or, with tar=false, a layout directory. */
export async function exportArchive(
  content: ContentStore,
  image: ExportableImage,
  spec: ArchiveOutput,
  opts?: { extraNames?: readonly string[]; stdout?: Writable },
): Promise<WrittenImage>;
/** Several platforms: the layout holds one index naming each platform's image (not for `docker`). */
export async function exportArchive(
  content: ContentStore,
  image: readonly ExportableImage[],
  spec: ArchiveOutput,
  opts?: { extraNames?: readonly string[]; stdout?: Writable },
): Promise<WrittenIndex>;
export async function exportArchive(
  content: ContentStore,
  image: ExportableImage | readonly ExportableImage[],
  spec: ArchiveOutput,
  opts: { extraNames?: readonly string[]; stdout?: Writable } = {},
): Promise<WrittenImage | WrittenIndex> {
  const names = [...new Set([...spec.names, ...(opts.extraNames ?? [])])];
  const { list, multi } = asList(image);
  if (multi && spec.type === 'docker') {
    throw new OutputSpecError('type=docker', 'a docker archive holds one image, not several platforms: use type=oci, or build one --platform');
  }
  const prepared = list.map((i) => prepare(content, i, spec));
  const compression: CompressionOptions = spec.compression;
  const mediaTypes = spec.ociMediaTypes ? 'oci' : 'docker';
  const images = await Promise.all(prepared.map((p) => writeImage(content, p, { compression, mediaTypes, annotations: spec.annotations })));
  const written = multi ? await writeIndex(content, images, mediaTypes) : images[0]!;
  const layoutOpts = { docker: spec.type === 'docker', mtime: prepared[0]?.config.sourceDateEpoch ?? 0 };
  const entries = [{ image: written, names }];
  if (!spec.tar) {
    await writeLayoutDir(content, entries, spec.dest, layoutOpts);
  } else if (spec.dest === '-') {
    if (!opts.stdout) throw new Error('dest=- needs an output stream');
    await writeLayoutTar(content, entries, opts.stdout, layoutOpts);
  } else {
    await writeLayoutTar(content, entries, createWriteStream(spec.dest), layoutOpts);
  }
  return written;
}
