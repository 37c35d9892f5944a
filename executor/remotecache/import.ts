// An imported cache becomes ordinary records of this state root: one lazy ref per distinct chain
// (its blobs stay where the cache is until a step reads the filesystem, as a base image's do),
// and a cache-store record per key this root does not have yet. From then on they are used,
// listed and pruned like records this root wrote itself.
import type { CacheEntry } from '../../oci/index.ts';
import { parseCacheKey, type CacheKey, type CacheStore } from '../../solver/index.ts';
import type { RefManager } from '../refs/index.ts';

export interface ImportSummary {
  /** Records the cache holds that tsbuild can use. */
  readonly usable: number;
  /** Of those, records this root did not have (or whose data it no longer has). */
  readonly added: number;
}

/** `source`: the cache's image reference, or the absolute path of a local cache directory. */
export async function importCacheEntries(refs: RefManager, store: CacheStore, entries: readonly CacheEntry[], source: string): Promise<ImportSummary> {
  const usable = entries.flatMap((e) => {
    const key = parseCacheKey(e.key);
    return key ? [{ key, entry: e }] : [];
  });
  const have = await store.get(usable.map((u) => u.key));
  // A record whose data this root no longer has is no better than none: the import replaces it.
  const gone = new Set<CacheKey>();
  for (const [key, rec] of have) if (!(await refs.load(rec.resultId))) gone.add(key);
  const missing = usable.filter((u) => !have.has(u.key) || gone.has(u.key));
  const byChain = new Map<string, { keys: CacheKey[]; entry: CacheEntry }>();
  for (const u of missing) {
    const id = `${u.entry.createdAt}\0${u.entry.chain.map((b) => b.descriptor.digest).join('/')}`;
    const group = byChain.get(id);
    if (group) group.keys.push(u.key);
    else byChain.set(id, { keys: [u.key], entry: u.entry });
  }
  const records: { key: CacheKey; resultId: string }[] = [];
  for (const { keys, entry } of byChain.values()) {
    const ref = await refs.image(
      entry.chain.map((b) => ({ descriptor: b.descriptor, diffID: b.diffID, source })),
      { kind: 'image', reference: `cache ${source}` },
      (i) => `cached layer ${i + 1} from ${source}`,
      entry.createdAt || undefined,
    );
    for (const key of keys) records.push({ key, resultId: ref.id });
  }
  await store.put(records);
  return { usable: usable.length, added: new Set(records.map((r) => r.key)).size };
}
