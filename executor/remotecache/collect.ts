// Which results of a solve go into an exported cache, and as which chains of layer blobs.
//
// Every step that ran or came from the cache this build gives one entry per key it is recorded
// under (definition key unless it names this build only, content keys), with its
// result's layers as blobs: blobs that already exist (base image, imported cache) as they are,
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
import type { Result, VertexReport } from '../../solver/index.ts';
import { layerIdentity, type BlobLayer, type LayerEntry, type RefManager } from '../refs/index.ts';

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
  vertices: ReadonlyMap<Digest, VertexReport>,
  final: Result | undefined,
  o: CollectOptions,
): Promise<CollectedCache> {
  const finalRef = final ? await refs.load(final.id) : undefined;
  const finalLayers = finalRef && !finalRef.local ? await refs.layerEntries(finalRef) : [];
  const remote = new Map<Digest, BlobLayer>();
  const blobs = new Map<string, Promise<Omit<CacheBlob, 'createdAt'>>>();

  const blobOf = (ref: Parameters<RefManager['layers']>[0], entries: readonly LayerEntry[], i: number): Promise<Omit<CacheBlob, 'createdAt'>> => {
    const e = entries[i]!;
    const id = layerIdentity(e);
    let p = blobs.get(id);
    if (!p) {
      p = (async () => {
        if (e.blob) {
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

  const entries: CacheEntry[] = [];
  for (const report of vertices.values()) {
    if ((report.status !== 'cached' && report.status !== 'ran') || !report.resultIds) continue;
    for (const [output, id] of report.resultIds) {
      const ref = await refs.load(id);
      if (!ref || ref.local || !ref.record) continue;
      const layers = await refs.layerEntries(ref);
      if (layers.length === 0) continue;
      if (o.mode === 'min' && !isPrefix(layers, finalLayers)) continue;
      const keys = [
        report.volatile || report.perBuild ? undefined : report.definitionKeys.get(output),
        report.contentKeys?.get(output),
        report.altContentKeys?.get(output),
      ].filter((k): k is NonNullable<typeof k> => k !== undefined);
      if (keys.length === 0) continue;
      const createdAt = ref.record.created;
      const chain = await Promise.all(
        layers.map(async (_, i): Promise<CacheBlob> => {
          const b = await blobOf(ref, layers, i);
          const mediaType = o.ociMediaTypes ? b.descriptor.mediaType : dockerLayerMediaType(compressionOfMediaType(b.descriptor.mediaType));
          return { descriptor: { mediaType, digest: b.descriptor.digest, size: b.descriptor.size }, diffID: b.diffID, createdAt };
        }),
      );
      for (const key of new Set(keys)) entries.push({ key, createdAt, chain });
    }
  }
  return {
    entries,
    async ensureLocal(d) {
      const b = remote.get(d.digest);
      if (b) await refs.ensureBlob(b);
    },
  };
}
