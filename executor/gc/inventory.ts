// Everything garbage collection reasons about, read once from a root: cache records grouped by
// result, ref records, the snapshot trees, blobs, links and what the image store's names reach.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import { openStores, parseManifest, type ContentStore, type Descriptor, type ImageStore } from '../../oci/index.ts';
import { DiskCacheStore, type CacheKey } from '../../solver/index.ts';
import { imageSnapshotKeys, RefStore, type RefRecord } from '../refs/index.ts';
import { SnapshotTree, type SnapshotInfo, type SnapshotterName } from '../snapshot/index.ts';
import { measureDir } from './measure.ts';

/** All cache records naming one result id. */
export interface ResultGroup {
  readonly resultId: string;
  readonly keys: CacheKey[];
  readonly createdAt: number;
  /** Newest use of any of its keys (their write when never looked up since). */
  readonly lastUsed: number;
}

export interface TreeInventory {
  readonly name: SnapshotterName;
  readonly tree: SnapshotTree;
  /** Listed snapshots by key (builds in progress are not listed). */
  readonly snapshots: Map<string, SnapshotInfo>;
  /** Own bytes of each committed snapshot. */
  readonly sizes: Map<string, number>;
}

export interface LinkEntry {
  readonly kind: string;
  readonly key: string;
  /** The blob a `layer-blob-*` link names. */
  readonly target?: Digest;
}

export interface Inventory {
  readonly root: string;
  readonly cache: DiskCacheStore;
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly refStore: RefStore;
  readonly results: Map<string, ResultGroup>;
  readonly recordCount: number;
  readonly refs: Map<string, RefRecord>;
  /** Ref files that exist but cannot be read as a current record. */
  readonly unreadableRefs: string[];
  /** Bytes of each ref record file. */
  readonly refSizes: Map<string, number>;
  readonly trees: TreeInventory[];
  readonly blobs: Map<Digest, number>;
  readonly links: LinkEntry[];
  /** For `layer-blob-*` links: diff_id hex → blob digests made from it. */
  readonly linkTargets: Map<string, Set<Digest>>;
  /** Remembered diff_ids of snapshot layers, by layer key (`refs/diffids/`). */
  readonly diffIDs: Map<string, Digest>;
  /** Digests the image store's names reach (manifests, indexes, configs, layers). */
  readonly imageDigests: Set<Digest>;
  readonly imageCount: number;
  /**
   * Snapshot keys an image of the store unpacks into (its layers' chain IDs): an image keeps its
   * unpacked filesystem, as docker's store does, for the next FROM and `tsbuild run`.
   */
  readonly imageSnapshots: Set<string>;
  readonly cacheMountBytes: number;
  readonly cacheMountCount: number;
  readonly localCount: number;
}

const SNAPSHOTTERS: readonly SnapshotterName[] = ['overlayfs', 'native'];
const LAYER_LINK = /^layer-blob-/;

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function readImageDigests(content: ContentStore, images: ImageStore): Promise<{ digests: Set<Digest>; count: number; snapshots: Set<string> }> {
  const out = new Set<Digest>();
  const snapshots = new Set<string>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (out.has(d.digest)) return;
    out.add(d.digest);
    let parsed;
    try {
      parsed = parseManifest(await content.read(d.digest), d.mediaType);
    } catch {
      return; // absent or not a manifest: nothing more is reachable through it
    }
    if (parsed.kind === 'index') {
      for (const m of parsed.index.manifests) await visit(m);
    } else {
      out.add(parsed.manifest.config.digest);
      for (const l of parsed.manifest.layers) out.add(l.digest);
      const diffIDs = await content
        .readJson<{ rootfs?: { diff_ids?: Digest[] } }>(parsed.manifest.config.digest)
        .then((c) => c.rootfs?.diff_ids ?? [])
        .catch(() => [] as Digest[]);
      for (const k of imageSnapshotKeys(diffIDs)) snapshots.add(k);
    }
  };
  const list = await images.list();
  for (const img of list) await visit(img.target);
  return { digests: out, count: list.length, snapshots };
}

async function readTrees(root: string): Promise<TreeInventory[]> {
  const out: TreeInventory[] = [];
  for (const name of SNAPSHOTTERS) {
    const dir = join(root, 'snapshots', name);
    if (!(await exists(join(dir, 'meta')))) continue;
    const tree = await SnapshotTree.open(name, dir);
    const snapshots = new Map<string, SnapshotInfo>();
    const sizes = new Map<string, number>();
    for (const info of await tree.list()) {
      snapshots.set(info.key, info);
      if (info.kind === 'committed') sizes.set(info.key, (await tree.usage(info.key).catch(() => ({ size: 0 }))).size);
    }
    out.push({ name, tree, snapshots, sizes });
  }
  return out;
}

/** Closes what an inventory opened: the cache database and the snapshot trees. */
export async function closeInventory(inv: Inventory): Promise<void> {
  inv.cache.close();
  for (const t of inv.trees) await t.tree.close();
}

export async function readInventory(root: string): Promise<Inventory> {
  const { content, images } = openStores(root);
  const cache = new DiskCacheStore(root);
  try {
    const records = await cache.list();
    const results = new Map<string, ResultGroup>();
    for (const r of records) {
      const used = r.lastUsed ?? r.createdAt;
      const g = results.get(r.resultId);
      if (!g) results.set(r.resultId, { resultId: r.resultId, keys: [r.key], createdAt: r.createdAt, lastUsed: used });
      else {
        g.keys.push(r.key);
        results.set(r.resultId, { ...g, createdAt: Math.max(g.createdAt, r.createdAt), lastUsed: Math.max(g.lastUsed, used) });
      }
    }

    const refStore = new RefStore(root);
    const refs = new Map<string, RefRecord>();
    const unreadableRefs: string[] = [];
    const refSizes = new Map<string, number>();
    for (const id of await refStore.list()) {
      const rec = await refStore.get(id);
      refSizes.set(id, await refStore.recordSize(id));
      if (rec) refs.set(id, rec);
      else unreadableRefs.push(id);
    }

    const blobs = new Map<Digest, number>();
    for (const d of await content.list()) {
      const info = await content.info(d);
      if (info) blobs.set(d, info.size);
    }
    const links: LinkEntry[] = [];
    const linkTargets = new Map<string, Set<Digest>>();
    for (const l of await content.listLinks()) {
      if (!LAYER_LINK.test(l.kind)) {
        links.push(l);
        continue;
      }
      const target = (await content.getLink<{ digest?: Digest }>(l.kind, l.key))?.digest;
      links.push(target ? { ...l, target } : l);
      if (!target) continue;
      let s = linkTargets.get(l.key);
      if (!s) linkTargets.set(l.key, (s = new Set()));
      s.add(target);
    }

    const diffIDs = new Map<string, Digest>();
    for (const key of await refStore.listDiffIDs()) {
      const d = await refStore.diffID(key);
      // An unreadable entry maps to no digest: it is dropped like an unused one.
      diffIDs.set(key, d ?? ('' as Digest));
    }

    const { digests: imageDigests, count: imageCount, snapshots: imageSnapshots } = await readImageDigests(content, images);
    const mounts = join(root, 'cache-mounts');
    const mountNames = await readdir(mounts).catch(() => [] as string[]);
    const localNames = await readdir(join(root, 'locals')).catch(() => [] as string[]);

    return {
      root,
      cache,
      content,
      images,
      refStore,
      results,
      recordCount: records.length,
      refs,
      unreadableRefs,
      refSizes,
      trees: await readTrees(root),
      blobs,
      links,
      linkTargets,
      diffIDs,
      imageDigests,
      imageCount,
      imageSnapshots,
      cacheMountBytes: mountNames.length > 0 ? (await measureDir(mounts)).size : 0,
      cacheMountCount: mountNames.length,
      localCount: localNames.length,
    };
  } catch (e) {
    cache.close();
    throw e;
  }
}
