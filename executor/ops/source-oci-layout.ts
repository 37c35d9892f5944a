// `oci-layout://<store>@<digest>` (or `<store>:<tag>`) sources: an image in an OCI layout
// directory the build was given (executor option `ociLayouts`: store id → directory). Its blobs
// are verified into the content store; the result is an image ref like a pulled one.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { asyncOnce, type Digest } from '../../llb/index.ts';
import type { CacheMap, Op, OpContext, Result } from '../../solver/index.ts';
import {
  formatPlatform,
  ImageNotFoundError,
  InvalidImageError,
  resolveLayoutImage,
  type Descriptor,
  type LayoutSelector,
  type OciPlatform,
  type ResolvedImage,
} from '../../oci/index.ts';
import { opPlatform, type OpsContext } from './context.ts';
import { opDigest } from './cache-digest.ts';
import { SourceError } from './errors.ts';

export const OCI_LAYOUT_SOURCE_KEY = 'tsbuild.source.oci-layout.v1';

export class OciLayoutSourceOp implements Op {
  readonly #ctx: OpsContext;
  readonly #store: string;
  readonly #digest: Digest | undefined;
  readonly #tag: string | undefined;
  readonly #platform: OciPlatform;
  readonly #limit: number | undefined;
  readonly #image = asyncOnce(() => this.#readLayout());

  constructor(ctx: OpsContext, identifier: string, attrs: Record<string, string>, platform: Parameters<typeof opPlatform>[0]) {
    this.#ctx = ctx;
    const id = identifier.slice('oci-layout://'.length);
    const at = id.indexOf('@');
    const colon = id.lastIndexOf(':');
    const name = at >= 0 ? id.slice(0, at) : colon >= 0 && !id.slice(colon).includes('/') ? id.slice(0, colon) : id;
    this.#digest = at >= 0 ? (id.slice(at + 1) as Digest) : undefined;
    this.#tag = at < 0 && colon >= 0 && name !== id ? id.slice(colon + 1) : undefined;
    this.#store = attrs['oci.store'] ?? name;
    this.#platform = opPlatform(platform, ctx.platform);
    this.#limit = attrs['oci.layerlimit'] !== undefined ? Number(attrs['oci.layerlimit']) : undefined;
  }

  #dir(): string {
    const dir = this.#ctx.ociLayouts[this.#store];
    if (dir === undefined) throw new SourceError(`no OCI layout named "${this.#store}" was given to the build`);
    return dir;
  }

  #import(d: Descriptor): Promise<unknown> {
    const path = join(this.#dir(), 'blobs', 'sha256', d.digest.slice('sha256:'.length));
    return this.#ctx.content.ensure(d.digest, () => createReadStream(path), { size: d.size });
  }

  async #readLayout(): Promise<ResolvedImage> {
    const dir = this.#dir();
    const read = (sel: LayoutSelector) => resolveLayoutImage(this.#ctx.content, dir, { ...sel, platform: this.#platform });
    try {
      if (this.#digest) return await read({ digest: this.#digest });
      if (this.#tag) return await read({ tag: this.#tag });
      // No tag named: `latest` when the layout has it, else its only image (or the platform's).
      return await read({ tag: 'latest' }).catch((e: unknown) => {
        if (e instanceof ImageNotFoundError) return read({});
        throw e;
      });
    } catch (e) {
      if (e instanceof ImageNotFoundError || e instanceof InvalidImageError) throw new SourceError(`OCI layout "${this.#store}" (${dir}): ${e.message}`);
      throw e;
    }
  }

  async cacheMap(): Promise<CacheMap> {
    const image = await this.#image();
    return {
      digest: opDigest(OCI_LAYOUT_SOURCE_KEY, {
        manifest: image.manifestDescriptor.digest,
        platform: formatPlatform(this.#platform),
        layerLimit: this.#limit ?? null,
      }),
      deps: [],
    };
  }

  async exec(_ctx: OpContext): Promise<Result[]> {
    const image = await this.#image();
    const layers = this.#limit === undefined ? image.manifest.layers : image.manifest.layers.slice(0, this.#limit);
    await Promise.all(layers.map((d) => this.#import(d)));
    const ref = await this.#ctx.refs.image(
      layers.map((descriptor, i) => ({ descriptor, diffID: image.config.rootfs.diff_ids[i]! })),
      { kind: 'image', config: image.configDescriptor, platform: this.#platform },
      (i) => `oci-layout ${this.#store} layer ${i + 1}`,
    );
    return [ref];
  }
}
