// `oci-layout://<store>@<digest>` (or `<store>:<tag>`) sources: an image in an OCI layout
// directory the build was given (executor option `ociLayouts`: store id → directory). Its blobs
// are verified into the content store; the result is an image ref like a pulled one.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncOnce, type Digest } from '../../llb/index.ts';
import type { CacheMap, Op, OpContext, Result } from '../../solver/index.ts';
import { formatPlatform, loadImage, parseReference, type Descriptor, type ImageIndex, type OciPlatform, type ResolvedImage } from '../../oci/index.ts';
import { opPlatform, type OpsContext } from './context.ts';
import { opDigest } from './cache-digest.ts';
import { SourceError } from './errors.ts';

export const OCI_LAYOUT_SOURCE_KEY = 'tsbuild.source.oci-layout.v1';
const REF_NAME = 'org.opencontainers.image.ref.name';

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
    let index: ImageIndex;
    try {
      index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
    } catch (e) {
      throw new SourceError(`OCI layout "${this.#store}" (${dir}): cannot read index.json: ${(e as Error).message}`);
    }
    const target = this.#digest
      ? (index.manifests.find((m) => m.digest === this.#digest) ?? { mediaType: '', digest: this.#digest, size: -1 })
      : (index.manifests.find((m) => m.annotations?.[REF_NAME] === (this.#tag ?? 'latest')) ?? (index.manifests.length === 1 ? index.manifests[0] : undefined));
    if (!target) throw new SourceError(`OCI layout "${this.#store}": no image tagged "${this.#tag ?? 'latest'}"`);
    const bytes = await readFile(join(dir, 'blobs', 'sha256', target.digest.slice('sha256:'.length)));
    await this.#ctx.content.write(bytes, target.digest);
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor };
    // Manifests and configs are small: import them all before reading them.
    if (parsed.config) await this.#import(parsed.config);
    for (const m of parsed.manifests ?? []) {
      if (
        !(await this.#import(m).then(
          () => true,
          () => false,
        ))
      )
        continue;
      const child = JSON.parse((await this.#ctx.content.read(m.digest)).toString('utf8')) as { config?: Descriptor };
      if (child.config) await this.#import(child.config).catch(() => {});
    }
    const desc: Descriptor = {
      mediaType: target.mediaType || parsed.mediaType || 'application/vnd.oci.image.manifest.v1+json',
      digest: target.digest,
      size: bytes.byteLength,
    };
    const name =
      this.#store
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'store';
    return loadImage(this.#ctx.content, parseReference(`oci-layout.invalid/${name}@${target.digest}`), desc, this.#platform);
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
