// Cache entries ⇄ cache config. Writing is deterministic: layers are ordered by the path of blob
// digests from the bottom (so a parent always comes before its children), records by key, and
// times come from the results themselves, so the same cache gives the same config digest.
// Reading keeps only what tsbuild can use: stand-alone records whose chain is fully described;
// anything else (BuildKit's linked records, merged chains) is skipped, never an error.
import type { Digest } from '../../llb/index.ts';
import { isDigest } from '../digest.ts';
import type { Descriptor } from '../types.ts';
import {
  ANNOTATION_CREATED_AT,
  ANNOTATION_UNCOMPRESSED,
  type CacheBlob,
  type CacheConfig,
  type CacheConfigLayer,
  type CacheConfigRecord,
  type CacheEntry,
} from './types.ts';

export class CacheFormatError extends Error {
  override readonly name = 'CacheFormatError';
}

export interface BuiltCacheConfig {
  readonly config: CacheConfig;
  /** Every layer blob once, in config order, with BuildKit's annotations. */
  readonly blobs: readonly Descriptor[];
}

/** The descriptor of a blob as the cache manifest lists it. */
export function cacheBlobDescriptor(b: CacheBlob): Descriptor {
  return {
    mediaType: b.descriptor.mediaType,
    digest: b.descriptor.digest,
    size: b.descriptor.size,
    annotations: { [ANNOTATION_CREATED_AT]: b.createdAt, [ANNOTATION_UNCOMPRESSED]: b.diffID },
  };
}

export function buildCacheConfig(entries: readonly CacheEntry[]): BuiltCacheConfig {
  interface Node {
    readonly path: string;
    readonly parentPath: string | undefined;
    readonly blob: CacheBlob;
  }
  const nodes = new Map<string, Node>();
  const tops = new Map<Digest, { path: string; createdAt: string }>();
  for (const e of entries) {
    if (e.chain.length === 0) continue;
    let path: string | undefined;
    for (const blob of e.chain) {
      const p: string = path === undefined ? blob.descriptor.digest : `${path}/${blob.descriptor.digest}`;
      const known = nodes.get(p);
      // The oldest time wins, so the order entries come in does not change the config.
      if (!known || blob.createdAt < known.blob.createdAt) nodes.set(p, { path: p, parentPath: path, blob });
      path = p;
    }
    const prev = tops.get(e.key);
    if (!prev || path! < prev.path) tops.set(e.key, { path: path!, createdAt: e.createdAt });
  }
  const ordered = [...nodes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const index = new Map(ordered.map((n, i) => [n.path, i]));
  const layers: CacheConfigLayer[] = ordered.map((n) => ({
    blob: n.blob.descriptor.digest,
    parent: n.parentPath === undefined ? -1 : index.get(n.parentPath)!,
    annotations: { mediaType: n.blob.descriptor.mediaType, diffID: n.blob.diffID, size: n.blob.descriptor.size, createdAt: n.blob.createdAt },
  }));
  const records: CacheConfigRecord[] = [...tops.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([digest, t]) => ({ digest, layers: [{ layer: index.get(t.path)!, createdAt: t.createdAt }] }));
  const seen = new Set<Digest>();
  const blobs: Descriptor[] = [];
  for (const n of ordered) {
    if (seen.has(n.blob.descriptor.digest)) continue;
    seen.add(n.blob.descriptor.digest);
    blobs.push(cacheBlobDescriptor(n.blob));
  }
  return { config: { layers, records }, blobs };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and checks the config's shape; throws CacheFormatError when it is not a cache config. */
export function parseCacheConfig(bytes: Uint8Array): CacheConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new CacheFormatError(`the cache config is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new CacheFormatError('the cache config is not a JSON object');
  const layers = doc['layers'] ?? [];
  const records = doc['records'] ?? [];
  if (!Array.isArray(layers) || !Array.isArray(records)) throw new CacheFormatError('the cache config\'s "layers" and "records" must be lists');
  layers.forEach((l: unknown, i) => {
    if (!isObject(l) || !isDigest(l['blob'])) throw new CacheFormatError(`cache config layer ${i} has no blob digest`);
    const p = l['parent'] ?? 0;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < -1 || p >= layers.length) throw new CacheFormatError(`cache config layer ${i} has a bad parent`);
  });
  records.forEach((r: unknown, i) => {
    if (!isObject(r) || !isDigest(r['digest'])) throw new CacheFormatError(`cache config record ${i} has no digest`);
  });
  return doc;
}

/**
 * The entries of a cache config whose chains tsbuild can use. `blobs` are the manifest's layer
 * descriptors: each chain blob takes its media type and size from there and its diff_id from the
 * annotations (manifest first, then the config's own).
 */
export function readCacheEntries(config: CacheConfig, blobs: readonly Descriptor[]): CacheEntry[] {
  const byDigest = new Map(blobs.map((d) => [d.digest, d]));
  const layers = config.layers ?? [];
  const chains = new Map<number, CacheBlob[] | undefined>();
  const chainOf = (top: number): CacheBlob[] | undefined => {
    if (chains.has(top)) return chains.get(top);
    const out: CacheBlob[] = [];
    const seen = new Set<number>();
    for (let i = top; i !== -1;) {
      const l = layers[i];
      if (!l || seen.has(i)) return undefined; // out of range, or a loop
      seen.add(i);
      const d = byDigest.get(l.blob);
      const diffID = d?.annotations?.[ANNOTATION_UNCOMPRESSED] ?? l.annotations?.diffID;
      const mediaType = d?.mediaType ?? l.annotations?.mediaType;
      const size = d?.size ?? l.annotations?.size;
      if (!isDigest(diffID) || typeof mediaType !== 'string' || typeof size !== 'number') return undefined;
      const createdAt = d?.annotations?.[ANNOTATION_CREATED_AT] ?? l.annotations?.createdAt ?? '';
      out.push({ descriptor: { mediaType, digest: l.blob, size }, diffID, createdAt });
      i = l.parent ?? 0;
    }
    out.reverse();
    chains.set(top, out);
    return out;
  };
  const entries: CacheEntry[] = [];
  for (const r of config.records ?? []) {
    if ((r.inputs?.length ?? 0) > 0) continue;
    const result = r.layers?.[0];
    if (!result || typeof result.layer !== 'number') continue;
    const chain = chainOf(result.layer);
    if (!chain || chain.length === 0) continue;
    entries.push({ key: r.digest, createdAt: result.createdAt ?? chain[chain.length - 1]!.createdAt, chain });
  }
  return entries;
}
