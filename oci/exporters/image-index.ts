// Several images, one per platform, under one name: an OCI image index, or a Docker manifest list
// when the images use Docker's media types. What every multi-platform export writes.
import type { ContentStore } from '../content-store.ts';
import type { WrittenImage } from '../image-writer.ts';
import { formatPlatform } from '../platform.ts';
import { MediaType, type Descriptor, type ImageIndex, type OciPlatform } from '../types.ts';

export interface WrittenIndex {
  descriptor: Descriptor;
  index: ImageIndex;
  bytes: Buffer;
  /** The platforms' images, in the index's order. */
  images: WrittenImage[];
}

function configPlatform(image: WrittenImage): OciPlatform {
  const c = image.config;
  return { architecture: c.architecture, os: c.os, ...(c.variant ? { variant: c.variant } : {}) };
}

export async function writeIndex(store: ContentStore, images: readonly WrittenImage[], mediaTypes: 'oci' | 'docker'): Promise<WrittenIndex> {
  const seen = new Set<string>();
  for (const image of images) {
    const p = formatPlatform(configPlatform(image));
    if (seen.has(p)) throw new Error(`two images for platform ${p} in one index`);
    seen.add(p);
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: mediaTypes === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex,
    manifests: images.map((image) => ({ ...image.manifestDescriptor, platform: configPlatform(image) })),
  };
  const written = await store.writeJson(index);
  return { descriptor: { mediaType: index.mediaType!, digest: written.digest, size: written.size }, index, bytes: written.bytes, images: [...images] };
}
