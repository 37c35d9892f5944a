// A layer's file listing, kept beside its blobs in the content store's links (keyed by diff_id),
// so that a later export or inspect of the same layer, from a cache hit or another image, reads
// a small record instead of the tar.
import type { Digest } from '../llb/index.ts';
import type { ContentStore } from './content-store.ts';
import { digestHex } from './digest.ts';
import type { LayerFileKind, LayerFiles } from './layer/index.ts';

const LINK_KIND = 'layer-files-v1';

interface FilesRecord {
  tarSize: number;
  /** [path, kind, size]: compact, a layer may list tens of thousands of paths. */
  entries: [string, LayerFileKind, number][];
}

export async function loadLayerFiles(store: ContentStore, diffID: Digest): Promise<LayerFiles | undefined> {
  const rec = await store.getLink<FilesRecord>(LINK_KIND, digestHex(diffID));
  if (!rec || !Array.isArray(rec.entries)) return undefined;
  return { tarSize: rec.tarSize, entries: rec.entries.map(([path, kind, size]) => ({ path, kind, size })) };
}

export async function saveLayerFiles(store: ContentStore, diffID: Digest, files: LayerFiles): Promise<void> {
  const rec: FilesRecord = { tarSize: files.tarSize, entries: files.entries.map((e) => [e.path, e.kind, e.size]) };
  await store.setLink(LINK_KIND, digestHex(diffID), rec);
}
