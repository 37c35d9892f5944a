// The exporters that produce images: `image` (local store, optional push), `oci` and `docker`
// (layout archives). They share `writeImage`; they differ in compression, media types and where
// the result goes.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ContentStore } from '../content-store.ts';
import { type CompressionOptions } from '../compression/index.ts';
import type { ImageConfigInput } from '../image-config.ts';
import type { ImageStore } from '../image-store.ts';
import { writeImage, type WrittenImage } from '../image-writer.ts';
import type { LayerSource } from '../layer-source.ts';
import type { Descriptor } from '../types.ts';
import type { ArchiveOutput, ImageOutput } from '../output-spec.ts';
import { parseReference } from '../reference.ts';
import { pushImage, type RegistryClient, type PushProgress, type PushResult } from '../registry/index.ts';
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

export interface ImageExportResult {
  /** Manifest in the local store (uncompressed layers), when stored. */
  local?: WrittenImage;
  names: string[];
  pushed: PushResult[];
}

/**
 * `type=image`: the local store keeps layers uncompressed (cheap to write, cheap to use as a
 * base); pushing compresses them (in parallel, memoised per compression) into a second manifest.
 */
export async function exportToImageStore(
  ctx: ImageExportContext,
  image: ExportableImage,
  spec: ImageOutput,
  extraNames: readonly string[] = [],
): Promise<ImageExportResult> {
  const names = [...new Set([...spec.names, ...extraNames].map((n) => parseReference(n).string))];
  const prepared = prepare(ctx.content, image, spec);
  const annotations = spec.annotations;
  let local: WrittenImage | undefined;
  if (spec.store) {
    local = await writeImage(ctx.content, prepared, { compression: { type: 'uncompressed' }, mediaTypes: 'oci', annotations });
    for (const n of names) await ctx.images.put(n, local.manifestDescriptor);
  }
  const pushed: PushResult[] = [];
  if (spec.push) {
    if (!ctx.registry) throw new Error('push=true needs a registry client');
    // Without a local copy, layers that exist in a registry stay there: the push mounts them
    // (same registry) and fetches only what it must upload.
    const remote = await writeImage(ctx.content, prepared, {
      compression: spec.compression,
      mediaTypes: spec.ociMediaTypes ? 'oci' : 'docker',
      annotations,
      lazyBlobs: !spec.store,
    });
    const byDigest = new Map(remote.layers.map((d, i) => [d.digest, prepared.layers[i]!]));
    const ensureLocal = async (d: Descriptor): Promise<void> => {
      await byDigest.get(d.digest)?.blob(spec.compression);
    };
    for (const n of names) {
      pushed.push(
        await pushImage(
          ctx.registry,
          ctx.content,
          parseReference(n),
          { descriptor: remote.manifestDescriptor, manifest: remote.manifest, bytes: remote.manifestBytes },
          { ensureLocal, ...(ctx.onPushProgress ? { onProgress: ctx.onPushProgress } : {}) },
        ),
      );
    }
  }
  return { ...(local ? { local } : {}), names, pushed };
}

/** `type=oci` / `type=docker`: a layout tar (file or stream) or, with tar=false, a layout directory. */
export async function exportArchive(
  content: ContentStore,
  image: ExportableImage,
  spec: ArchiveOutput,
  opts: { extraNames?: readonly string[]; stdout?: Writable } = {},
): Promise<WrittenImage> {
  const names = [...new Set([...spec.names, ...(opts.extraNames ?? [])])];
  const prepared = prepare(content, image, spec);
  const compression: CompressionOptions = spec.compression;
  const written = await writeImage(content, prepared, { compression, mediaTypes: spec.ociMediaTypes ? 'oci' : 'docker', annotations: spec.annotations });
  const layoutOpts = { docker: spec.type === 'docker', mtime: prepared.config.sourceDateEpoch ?? 0 };
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
