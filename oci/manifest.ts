// Reading manifests, indexes and configs from bytes with validation. OCI and Docker schema2 media
// types are both accepted (registries serve either); Docker schema1 is refused with a clear message.
import { isDigest } from './digest.ts';
import { InvalidImageError } from './errors.ts';
import { MediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './types.ts';

export type ParsedManifest = { kind: 'index'; mediaType: string; index: ImageIndex } | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

const indexTypes = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);
const manifestTypes = new Set<string>([MediaType.ociManifest, MediaType.dockerManifest]);

/** Accept header for manifest requests: everything we can read. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');

/**
 * `contentType` is what the registry said (or the descriptor's media type); the document's own
 * `mediaType` wins when present, and without either the shape decides.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, what = 'manifest'): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new InvalidImageError(what, `not JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw new InvalidImageError(what, 'not a JSON object');
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim();
  if (header?.startsWith('application/vnd.docker.distribution.manifest.v1') || doc['schemaVersion'] === 1) {
    throw new InvalidImageError(what, 'Docker schema1 manifests are not supported; push the image again with a current client');
  }
  const looksLikeIndex = Array.isArray(doc['manifests']);
  const mediaType =
    declared ??
    (looksLikeIndex ? (header && indexTypes.has(header) ? header : MediaType.ociIndex) : header && manifestTypes.has(header) ? header : MediaType.ociManifest);
  if (doc['schemaVersion'] !== 2) throw new InvalidImageError(what, `schemaVersion must be 2, got ${JSON.stringify(doc['schemaVersion'])}`);
  if (indexTypes.has(mediaType)) {
    if (!Array.isArray(doc['manifests'])) throw new InvalidImageError(what, 'index without "manifests"');
    doc['manifests'].forEach((d, i) => validateDescriptor(d, `${what} manifests[${i}]`));
    return { kind: 'index', mediaType, index: doc as unknown as ImageIndex };
  }
  if (manifestTypes.has(mediaType)) {
    validateDescriptor(doc['config'], `${what} config`);
    if (!Array.isArray(doc['layers'])) throw new InvalidImageError(what, 'manifest without "layers"');
    doc['layers'].forEach((d, i) => validateDescriptor(d, `${what} layers[${i}]`));
    return { kind: 'manifest', mediaType, manifest: doc as unknown as ImageManifest };
  }
  throw new InvalidImageError(what, `unsupported media type ${mediaType}`);
}

export function validateDescriptor(d: unknown, what: string): asserts d is Descriptor {
  if (!isObject(d)) throw new InvalidImageError(what, 'descriptor is not an object');
  if (typeof d['mediaType'] !== 'string' || d['mediaType'] === '') throw new InvalidImageError(what, 'descriptor without mediaType');
  if (!isDigest(d['digest'])) throw new InvalidImageError(what, `descriptor digest ${JSON.stringify(d['digest'])} is not a sha256 digest`);
  if (typeof d['size'] !== 'number' || !Number.isSafeInteger(d['size']) || d['size'] < 0)
    throw new InvalidImageError(what, `descriptor size ${JSON.stringify(d['size'])} is not a non-negative integer`);
  if (d['platform'] !== undefined) {
    const p = d['platform'];
    if (!isObject(p) || typeof p['os'] !== 'string' || typeof p['architecture'] !== 'string')
      throw new InvalidImageError(what, 'descriptor platform needs os and architecture');
  }
}

export function parseImageConfig(bytes: Uint8Array, what = 'image config'): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new InvalidImageError(what, `not JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw new InvalidImageError(what, 'not a JSON object');
  if (typeof doc['architecture'] !== 'string' || typeof doc['os'] !== 'string') throw new InvalidImageError(what, 'architecture and os are required');
  const rootfs = doc['rootfs'];
  if (!isObject(rootfs) || rootfs['type'] !== 'layers' || !Array.isArray(rootfs['diff_ids']))
    throw new InvalidImageError(what, 'rootfs must be {type: "layers", diff_ids: [...]}');
  for (const id of rootfs['diff_ids']) if (!isDigest(id)) throw new InvalidImageError(what, `diff_id ${JSON.stringify(id)} is not a sha256 digest`);
  if (doc['config'] !== undefined && doc['config'] !== null && !isObject(doc['config'])) throw new InvalidImageError(what, '"config" must be an object');
  if (doc['history'] !== undefined && !Array.isArray(doc['history'])) throw new InvalidImageError(what, '"history" must be an array');
  if (doc['config'] === null) delete doc['config'];
  return doc as unknown as ImageConfig;
}

/** Checks a manifest against its config: one diff_id per layer. */
export function checkManifestConfig(manifest: ImageManifest, config: ImageConfig, what = 'image'): void {
  if (manifest.layers.length !== config.rootfs.diff_ids.length) {
    throw new InvalidImageError(what, `manifest has ${manifest.layers.length} layers but config lists ${config.rootfs.diff_ids.length} diff_ids`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
