// Finding a base image for FROM: the local image store first (images built here need no registry),
// then the registry. `pull: 'always'` (--pull) asks the registry even when the store has the name;
// 'never' uses only the store. A pulled image is recorded under its name, and its layers are
// fetched only when something opens them.
import type { ContentStore } from './content-store.ts';
import { ImageNotFoundError } from './errors.ts';
import { loadImage, type ImageStore, type ResolvedImage } from './image-store.ts';
import { hostPlatform } from './platform.ts';
import { parseReference } from './reference.ts';
import type { RegistryClient } from './registry/client.ts';
import { fetchBlob, resolveRemoteImage, type PullProgress } from './registry/pull.ts';
import { MediaType, type OciPlatform } from './types.ts';

export type PullPolicy = 'missing' | 'always' | 'never';

export interface ImageResolverContext {
  content: ContentStore;
  images: ImageStore;
  registry?: RegistryClient;
  onProgress?: (p: PullProgress) => void;
}

export async function resolveBaseImage(
  ctx: ImageResolverContext,
  name: string,
  opts: { platform?: OciPlatform; pull?: PullPolicy } = {},
): Promise<ResolvedImage> {
  const ref = parseReference(name);
  const platform = opts.platform ?? hostPlatform();
  const pull = opts.pull ?? 'missing';
  if (pull !== 'always') {
    const record = ref.digest === undefined ? await ctx.images.get(ref.string) : undefined;
    if (record) {
      const registry = ctx.registry;
      const fetch = registry ? (d: Parameters<typeof fetchBlob>[3]) => fetchBlob(registry, ctx.content, ref, d, ctx.onProgress) : undefined;
      return loadImage(ctx.content, ref, record.target, platform, fetch);
    }
    // A digest names content: when the store already holds it, no registry is needed.
    if (ref.digest !== undefined && (await ctx.content.has(ref.digest))) {
      const registry = ctx.registry;
      const bytes = await ctx.content.read(ref.digest);
      const mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.ociManifest;
      const fetch = registry ? (d: Parameters<typeof fetchBlob>[3]) => fetchBlob(registry, ctx.content, ref, d, ctx.onProgress) : undefined;
      return loadImage(ctx.content, ref, { mediaType, digest: ref.digest, size: bytes.length }, platform, fetch);
    }
    if (pull === 'never') throw new ImageNotFoundError(ref.string, 'the local image store (pulling is disabled)');
  }
  if (!ctx.registry) throw new ImageNotFoundError(ref.string, 'the local image store, and no registry access is configured');
  const image = await resolveRemoteImage(ctx.registry, ctx.content, ref, { platform, ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}) });
  if (ref.digest === undefined) {
    const top = image.reference.digest!;
    const info = await ctx.content.info(top);
    const mediaType = (JSON.parse((await ctx.content.read(top)).toString('utf8')) as { mediaType?: string }).mediaType;
    await ctx.images.put(ref.string, { mediaType: mediaType ?? MediaType.ociManifest, digest: top, size: info!.size });
  }
  return image;
}
