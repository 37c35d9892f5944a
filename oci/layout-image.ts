// Images read from an OCI image layout directory (the `oci-layout` source, `--build-context
// name=oci-layout://dir`). Manifests and configs are copied into the content store after their
// digests are checked; layer blobs are copied (and checked) only when a layer is opened.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../llb/index.ts';
import type { ContentStore } from './content-store.ts';
import { digestHex } from './digest.ts';
import { ImageNotFoundError, InvalidImageError } from './errors.ts';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME } from './exporters/layout.ts';
import { loadImage, type ResolvedImage } from './image-store.ts';
import { parseManifest } from './manifest.ts';
import { hostPlatform, selectPlatform } from './platform.ts';
import { makeReference } from './reference.ts';
import type { Descriptor, ImageIndex, OciPlatform } from './types.ts';

export interface LayoutSelector {
  /** `org.opencontainers.image.ref.name` (a tag) or `io.containerd.image.name` in index.json. */
  tag?: string;
  digest?: Digest;
  platform?: OciPlatform;
}

async function importBlob(content: ContentStore, dir: string, d: Descriptor): Promise<void> {
  await content.ensure(d.digest, () => createReadStream(join(dir, 'blobs', 'sha256', digestHex(d.digest))), {
    size: d.size,
    what: `blob ${d.digest} of OCI layout ${dir}`,
  });
}

export async function resolveLayoutImage(content: ContentStore, dir: string, sel: LayoutSelector = {}): Promise<ResolvedImage> {
  let index: ImageIndex;
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  } catch (err) {
    throw new InvalidImageError(`OCI layout ${dir}`, `cannot read index.json (${(err as Error).message})`);
  }
  if (!Array.isArray(index.manifests)) throw new InvalidImageError(`OCI layout ${dir}`, 'index.json has no manifests');
  let target: Descriptor | undefined;
  if (sel.digest !== undefined) {
    target = index.manifests.find((m) => m.digest === sel.digest) ?? { mediaType: '', digest: sel.digest, size: -1 };
  } else if (sel.tag !== undefined) {
    target = index.manifests.find((m) => m.annotations?.[ANNOTATION_REF_NAME] === sel.tag || m.annotations?.[ANNOTATION_IMAGE_NAME] === sel.tag);
  } else if (index.manifests.length === 1) {
    target = index.manifests[0];
  } else {
    // A multi-platform index stored as separate entries: choose by platform.
    target = selectPlatform(index.manifests, sel.platform ?? hostPlatform(), `OCI layout ${dir}`);
  }
  if (!target) throw new ImageNotFoundError(sel.tag ?? sel.digest ?? '(default)', `OCI layout ${dir}`);
  if (target.size < 0) {
    const bytes = await readFile(join(dir, 'blobs', 'sha256', digestHex(target.digest))).catch(() => undefined);
    if (!bytes) throw new ImageNotFoundError(target.digest, `OCI layout ${dir}`);
    target = { mediaType: parseManifest(bytes, undefined).mediaType, digest: target.digest, size: bytes.length };
  }
  await importBlob(content, dir, target);
  const parsed = parseManifest(await content.read(target.digest), target.mediaType, `manifest ${target.digest} in ${dir}`);
  const platform = sel.platform ?? hostPlatform();
  let manifestDesc = target;
  if (parsed.kind === 'index') {
    manifestDesc = selectPlatform(parsed.index.manifests, platform, `OCI layout ${dir}`);
    await importBlob(content, dir, manifestDesc);
  }
  const m = parseManifest(await content.read(manifestDesc.digest), manifestDesc.mediaType, `manifest ${manifestDesc.digest} in ${dir}`);
  if (m.kind !== 'manifest') throw new InvalidImageError(`OCI layout ${dir}`, `nested index ${manifestDesc.digest}`);
  await importBlob(content, dir, m.manifest.config);
  const ref = makeReference('oci-layout', 'local', sel.tag !== undefined && /^[\w][\w.-]{0,127}$/.test(sel.tag) ? sel.tag : undefined, target.digest);
  return loadImage(content, ref, target, platform, (d) => importBlob(content, dir, d));
}
