// What `tsbuild inspect` reads: an OCI layout directory or archive (a path that exists), else an
// image name of the local store, else the same name on its registry (`--remote`: the registry
// only). Blobs land in the state root's content store, as a pull puts them there.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import {
  parseManifest,
  parseReference,
  resolveLayoutImage,
  resolveRemoteImage,
  unpackLayoutArchive,
  RegistryClient,
  type OciPlatform,
  type OciStores,
  type ResolvedImage,
} from '../../oci/index.ts';
import { UserError } from '../errors.ts';

export interface OpenedImage {
  readonly image: ResolvedImage;
  /** The image as the user knows it: the normalised name, or the layout's path. */
  readonly name: string;
  /** Where it came from: `local store`, `registry`, `OCI layout DIR`, `OCI archive FILE`. */
  readonly from: string;
  /** The manifest or index the name points at. */
  readonly topDigest: Digest;
  /** Every platform the index offers (one entry for a single manifest). */
  readonly platforms: readonly OciPlatform[];
  /** Removes what opening made (an unpacked archive). */
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly stores: OciStores;
  readonly platform: OciPlatform;
  readonly remote: boolean;
}

async function platformsOf(stores: OciStores, top: Digest, image: ResolvedImage): Promise<OciPlatform[]> {
  const parsed = parseManifest(await stores.content.read(top), undefined, `manifest ${top}`);
  if (parsed.kind === 'index') return parsed.index.manifests.flatMap((m) => (m.platform ? [m.platform] : []));
  const c = image.config;
  return [{ os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) }];
}

async function kindOf(path: string): Promise<'dir' | 'file' | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s?.isDirectory() ? 'dir' : s?.isFile() ? 'file' : undefined;
}

export async function openImage(name: string, opts: OpenOptions): Promise<OpenedImage> {
  const { stores, platform } = opts;
  const path = name.replace(/^oci(-archive|-layout)?:(\/\/)?/, '');
  const kind = await kindOf(path);
  const done = async (image: ResolvedImage, from: string, top: Digest, close: () => Promise<void> = async () => {}): Promise<OpenedImage> => ({
    image,
    name: kind === undefined ? image.reference.string : path,
    from,
    topDigest: top,
    platforms: await platformsOf(stores, top, image),
    close,
  });
  if (kind === 'dir') {
    const image = await resolveLayoutImage(stores.content, path, { platform });
    return done(image, `OCI layout ${path}`, image.reference.digest!);
  }
  if (kind === 'file') {
    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-inspect-'));
    try {
      await unpackLayoutArchive(path, dir);
      const image = await resolveLayoutImage(stores.content, dir, { platform });
      // Every blob is read now: the unpacked copy goes when inspect is done.
      await Promise.all(image.layers.map((l) => l.files()));
      return await done(image, `OCI archive ${path}`, image.reference.digest!, () => rm(dir, { recursive: true, force: true }));
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }
  if (kind === undefined && (path !== name || /^\.{0,2}\//.test(name) || /\.tar$/i.test(name))) {
    throw new UserError(`${path}: no such file or directory (an OCI layout directory or archive was expected)`);
  }
  const ref = parseReference(name);
  if (!opts.remote) {
    const record = await stores.images.get(ref.string);
    if (record) {
      const image = await stores.images.resolveOrThrow(ref.string, platform);
      return done(image, 'local image store', record.target.digest);
    }
  }
  const image = await resolveRemoteImage(new RegistryClient(), stores.content, ref, { platform });
  return done(image, `registry ${ref.domain}`, image.reference.digest!);
}
