// `docker-image://` sources. The cache digest comes from the resolved manifest digest and the
// platform, so nothing is downloaded to compute keys; the result is a lazy ref whose layers are
// unpacked only when a step needs the filesystem (a fully cached build never fetches them).
//
// Resolution: a name found in the local image store is used from there; otherwise the registry is
// asked. `image.resolvemode=pull` (or the build's `pull`) always asks the registry;
// `image.resolvemode=local` never does.
import { asyncOnce } from '../../llb/index.ts';
import type { Op, OpContext, Result } from '../../solver/index.ts';
import { formatPlatform, type OciPlatform } from '../../oci/index.ts';
import { opPlatform, type ImageResolveMode, type OpsContext, type ResolvedBase } from './context.ts';
import { opDigest } from './cache-digest.ts';
import { SourceError } from './errors.ts';

export const IMAGE_SOURCE_KEY = 'tsbuild.source.image.v1';

export class ImageSourceOp implements Op {
  readonly #ctx: OpsContext;
  readonly #ref: string;
  readonly #attrs: Record<string, string>;
  readonly #platform: OciPlatform;
  readonly #resolved = asyncOnce(() => this.#resolveChecked());

  constructor(ctx: OpsContext, ref: string, attrs: Record<string, string>, platform: OciPlatform) {
    this.#ctx = ctx;
    this.#ref = ref;
    this.#attrs = attrs;
    this.#platform = platform;
  }

  static fromVertex(ctx: OpsContext, identifier: string, attrs: Record<string, string>, vertexPlatform: Parameters<typeof opPlatform>[0]): ImageSourceOp {
    return new ImageSourceOp(ctx, identifier.slice('docker-image://'.length), attrs, opPlatform(vertexPlatform, ctx.platform));
  }

  #mode(): ImageResolveMode {
    const m = this.#attrs['image.resolvemode'] ?? 'default';
    if (m !== 'default' && m !== 'pull' && m !== 'local' && m !== 'prefer-local') {
      throw new SourceError(`image ${this.#ref}: unknown image.resolvemode "${m}" (use default, pull or local)`);
    }
    if (this.#ctx.pull || m === 'pull') return 'pull';
    return m === 'local' ? 'local' : 'default';
  }

  async #resolveChecked(): Promise<ResolvedBase> {
    const r = await this.#ctx.resolveImage(this.#ref, this.#platform, this.#mode());
    const want = this.#attrs['image.checksum'];
    if (want && r.image.manifestDescriptor.digest !== want && r.image.reference.digest !== want) {
      throw new SourceError(`image ${this.#ref}: checksum mismatch: expected ${want}, the registry has ${r.image.manifestDescriptor.digest}`);
    }
    return r;
  }

  #layerLimit(): number | undefined {
    const v = this.#attrs['image.layerlimit'];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new SourceError(`image ${this.#ref}: image.layerlimit "${v}" is not a count`);
    return n;
  }

  async cacheMap(): Promise<{ digest: `sha256:${string}`; deps: [] }> {
    const { image } = await this.#resolved();
    return {
      digest: opDigest(IMAGE_SOURCE_KEY, {
        manifest: image.manifestDescriptor.digest,
        platform: formatPlatform(this.#platform),
        layerLimit: this.#layerLimit() ?? null,
      }),
      deps: [],
    };
  }

  async exec(_ctx: OpContext): Promise<Result[]> {
    const { image, source } = await this.#resolved();
    const limit = this.#layerLimit();
    const descriptors = limit === undefined ? image.manifest.layers : image.manifest.layers.slice(0, limit);
    const blobs = descriptors.map((descriptor, i) => ({
      descriptor,
      diffID: image.config.rootfs.diff_ids[i]!,
      ...(source !== undefined ? { source } : {}),
    }));
    const ref = await this.#ctx.refs.image(
      blobs,
      { kind: 'image', config: image.configDescriptor, platform: this.#platform, reference: image.reference.string },
      (i) => `${image.reference.familiar} layer ${i + 1}`,
    );
    return [ref];
  }
}
