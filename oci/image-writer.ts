// Turns layers and settings into an image in the content store: layer blobs (made in parallel,
// memoised per compression), the config, and the manifest. Every exporter starts here.
import type { Digest } from '../llb/index.ts';
import type { ContentStore } from './content-store.ts';
import { compressionOfMediaType, dockerLayerMediaType, ociLayerMediaType, type CompressionOptions } from './compression/types.ts';
import { buildImageConfig, type ImageConfigInput } from './image-config.ts';
import type { LayerSource } from './layer-source.ts';
import { MediaType, type Descriptor, type ImageConfig, type ImageManifest } from './types.ts';

export interface ImageToWrite {
  layers: readonly LayerSource[];
  config: ImageConfigInput;
}

export type MediaTypes = 'oci' | 'docker';

export interface WriteImageOptions {
  compression: CompressionOptions;
  /** OCI media types (default) or Docker schema2 ones (what `docker load` and older registries expect). */
  mediaTypes?: MediaTypes;
  annotations?: Record<string, string>;
  /** Describe layer blobs that exist elsewhere without fetching them (see LayerSource.blob). */
  lazyBlobs?: boolean;
  /** Called as each layer blob is ready. */
  onLayer?: (index: number, blob: Descriptor) => void;
}

export interface WrittenImage {
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  configDescriptor: Descriptor;
  config: ImageConfig;
  configBytes: Buffer;
  layers: Descriptor[];
  diffIDs: Digest[];
}

export async function writeImage(store: ContentStore, image: ImageToWrite, opts: WriteImageOptions): Promise<WrittenImage> {
  const docker = opts.mediaTypes === 'docker';
  const blobs = await Promise.all(
    image.layers.map(async (layer, i) => {
      const blob = await layer.blob(opts.compression, opts.lazyBlobs ? { lazy: true } : undefined);
      opts.onLayer?.(i, blob);
      return blob;
    }),
  );
  const diffIDs = await Promise.all(image.layers.map((l) => l.diffID()));
  const layers = blobs.map((b): Descriptor => {
    const c = compressionOfMediaType(b.mediaType);
    return { mediaType: docker ? dockerLayerMediaType(c) : ociLayerMediaType(c), digest: b.digest, size: b.size };
  });
  const config = buildImageConfig(
    image.config,
    diffIDs.map((diffID, i) => {
      const description = image.layers[i]!.description;
      return description !== undefined ? { diffID, description } : { diffID };
    }),
  );
  const configWritten = await store.writeJson(config);
  const configDescriptor: Descriptor = {
    mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig,
    digest: configWritten.digest,
    size: configWritten.size,
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: configDescriptor,
    layers,
    ...(opts.annotations && Object.keys(opts.annotations).length > 0 && !docker ? { annotations: opts.annotations } : {}),
  };
  const m = await store.writeJson(manifest);
  return {
    manifestDescriptor: { mediaType: manifest.mediaType!, digest: m.digest, size: m.size },
    manifest,
    manifestBytes: m.bytes,
    configDescriptor,
    config,
    configBytes: configWritten.bytes,
    layers,
    diffIDs,
  };
}
