// Finding a base image for FROM: the local image store first (images built here need no registry),
// then the registry. `pull: 'always'` (--pull) asks the registry even when the store has the name;
// 'never' uses only the store. A pulled image is recorded under its name, and its layers are
// fetched only when something opens them.
import type { ContentStore } from './content-store.ts';
import { BlobNotFoundError, ImageNotFoundError } from './errors.ts';
import { loadImage, type ImageStore, type ResolvedImage } from './image-store.ts';
import { hostPlatform } from './platform.ts';
import { parseReference, type ImageReference } from './reference.ts';
import type { RegistryClient } from './registry/client.ts';
import { fetchBlob, resolveRemoteImage, type PullProgress } from './registry/pull.ts';
import { MediaType, type Descriptor, type OciPlatform } from './types.ts';

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
    const local = await localTarget(ctx, ref);
    if (local) {
      const registry = ctx.registry;
      const fetch = registry ? (d: Parameters<typeof fetchBlob>[3]) => fetchBlob(registry, ctx.content, ref, d, ctx.onProgress) : undefined;
      try {
        return await loadImage(ctx.content, ref, local, platform, fetch);
      } catch (err) {
        // A pulled index holds only the platforms used so far: another one's manifest comes
        // from the registry, as when the name was first pulled.
        if (!(err instanceof BlobNotFoundError) || !registry || pull === 'never') throw err;
      }
    } else if (pull === 'never') throw new ImageNotFoundError(ref.string, 'the local image store (pulling is disabled)');
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

/** What the store holds for the reference: its name's record, or the content its digest names. */
async function localTarget(ctx: ImageResolverContext, ref: ImageReference): Promise<Descriptor | undefined> {
  if (ref.digest === undefined) return (await ctx.images.get(ref.string))?.target;
  // A digest names content: when the store already holds it, no registry is needed.
  if (!(await ctx.content.has(ref.digest))) return undefined;
  const bytes = await ctx.content.read(ref.digest);
  const mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MediaType.ociManifest;
  return { mediaType, digest: ref.digest, size: bytes.length };
}
