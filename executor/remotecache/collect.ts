// Which results of a solve go into an exported cache, and as which chains of layer blobs.
//
// Every step of this build whose result this root holds (it ran, came from the cache, or was not
// needed because a step downstream hit) gives one entry per key its result is recorded under,
// with the result's layers as blobs: blobs that already exist (base image, imported cache) as they are,
// snapshot layers compressed once (memoised, as for image exports).
// - mode=min: only results whose layers start the final result's layers (the final stage's
//   steps and the stages it is built FROM);
// - mode=max: every result with layers.
// Build contexts and results without layers are never exported.
import type { Digest } from '../../llb/index.ts';
import {
  compressionOfMediaType,
  dockerLayerMediaType,
  type CacheBlob,
  type CacheEntry,
  type CacheMode,
  type CompressionOptions,
  type Descriptor,
} from '../../oci/index.ts';
import type { CacheKey, CacheStore, Result, VertexReport } from '../../solver/index.ts';
import { layerIdentity, type BlobLayer, type LayerEntry, type Ref, type RefManager } from '../refs/index.ts';

export interface CollectOptions {
  readonly mode: CacheMode;
  readonly compression: CompressionOptions;
  readonly ociMediaTypes: boolean;
}

export interface CollectedCache {
  readonly entries: CacheEntry[];
  /** Brings a blob of the entries into the content store when it is not there yet. */
  ensureLocal(d: Descriptor): Promise<void>;
}

function isPrefix(a: readonly LayerEntry[], b: readonly LayerEntry[]): boolean {
  return a.length <= b.length && a.every((e, i) => layerIdentity(e) === layerIdentity(b[i]!));
}

export async function collectCacheEntries(
  refs: RefManager,
  store: CacheStore,
  vertices: ReadonlyMap<Digest, VertexReport>,
  finals: readonly (Result | undefined)[],
  o: CollectOptions,
): Promise<CollectedCache> {
  // mode=min: the records whose layers are a start of a final image's (one per platform).
  const finalLayers: (readonly LayerEntry[])[] = [];
  for (const final of finals) {
    const ref = final ? await refs.load(final.id) : undefined;
    finalLayers.push(ref && !ref.local ? await refs.layerEntries(ref) : []);
  }
  const remote = new Map<Digest, BlobLayer>();
  const blobs = new Map<string, Promise<Omit<CacheBlob, 'createdAt'>>>();

  const blobOf = (ref: Ref, entries: readonly LayerEntry[], i: number): Promise<Omit<CacheBlob, 'createdAt'>> => {
    const e = entries[i]!;
    const id = layerIdentity(e);
    let p = blobs.get(id);
    if (!p) {
      p = (async () => {
        // A blob this builder wrote is uncompressed: it goes out with the cache's compression.
        if (e.blob && !e.built) {
          remote.set(e.blob.descriptor.digest, e.blob);
          return { descriptor: e.blob.descriptor, diffID: e.blob.diffID };
        }
        const source = (await refs.layers(ref))[i]!;
        const descriptor = await source.blob(o.compression);
        return { descriptor, diffID: await source.diffID() };
      })();
      blobs.set(id, p);
    }
    return p;
  };

  // Every key of this root that names a result goes with it: the definition and content keys
  // of this build and of earlier ones, so exporting the same results again gives the same cache.
  const keysOf = new Map<string, CacheKey[]>();
  for (const r of await store.list()) {
    const list = keysOf.get(r.resultId);
    if (list) list.push(r.key);
    else keysOf.set(r.resultId, [r.key]);
  }
  const ids = new Set<string>();
  for (const report of vertices.values()) {
    if (report.status === 'cached' || report.status === 'ran') {
      for (const id of report.resultIds?.values() ?? []) ids.add(id);
    } else if (report.status === 'skipped' && !report.volatile && !report.perBuild) {
      // Not needed this build (a step downstream hit), yet part of it: its record still holds.
      const found = await store.get([...report.definitionKeys.values()]);
      for (const rec of found.values()) ids.add(rec.resultId);
    }
  }

  const entries: CacheEntry[] = [];
  for (const id of ids) {
    const keys = keysOf.get(id);
    if (!keys) continue;
    const ref = await refs.load(id);
    if (!ref || ref.local || !ref.record) continue;
    const layers = await refs.layerEntries(ref);
    if (layers.length === 0) continue;
    if (o.mode === 'min' && !finalLayers.some((f) => isPrefix(layers, f))) continue;
    const createdAt = ref.record.created;
    const chain = await Promise.all(
      layers.map(async (_, i): Promise<CacheBlob> => {
        const b = await blobOf(ref, layers, i);
        const mediaType = o.ociMediaTypes ? b.descriptor.mediaType : dockerLayerMediaType(compressionOfMediaType(b.descriptor.mediaType));
        return { descriptor: { mediaType, digest: b.descriptor.digest, size: b.descriptor.size }, diffID: b.diffID, createdAt };
      }),
    );
    for (const key of keys) entries.push({ key, createdAt, chain });
  }
  return {
    entries,
    async ensureLocal(d) {
      const b = remote.get(d.digest);
      if (b) await refs.ensureBlob(b);
    },
  };
}
