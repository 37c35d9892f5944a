// Mark and sweep, the marking half: decides which cache records stay, then everything they and
// the image store reach; the rest of the root is garbage. Pure over an Inventory, so `du` can
// ask "what would `prune --all` free" without touching anything.
//
//   image store names ──► manifests/indexes ──► configs, layer blobs
//   kept cache records ──► refs ──► merge/diff inputs (refs)
//                           │ └──► snapshot keys (own, derived merge/diff/image keys) ──► parents
//                           └────► blobs (image layers, configs, compressed copies via links)
import type { Digest } from '../../llb/index.ts';
import { diffIDKey, diffSnapshotKey, imageSnapshotKeys, layerSnapshotKey, mergeSnapshotKey, type RefRecord } from '../refs/index.ts';
import type { Inventory, LinkEntry, ResultGroup, TreeInventory } from './inventory.ts';

export interface PlanOptions {
  /** Drop every cache record (unless `until` or `keepStorage` say which). */
  readonly all?: boolean;
  /** Drop records not used since this epoch-ms time. */
  readonly until?: number;
  /** Keep the most recently used records whose data fits in this many bytes. */
  readonly keepStorage?: number;
}

export interface PrunePlan {
  readonly keepResults: ResultGroup[];
  readonly dropResults: ResultGroup[];
  /** Records pointing at data that is gone (part of dropResults). */
  readonly dangling: number;
  readonly dropRefs: string[];
  readonly dropSnapshots: { readonly tree: TreeInventory; readonly keys: string[] }[];
  readonly dropBlobs: Digest[];
  readonly dropLinks: LinkEntry[];
  readonly dropDiffIDs: string[];
  readonly dropCacheMounts: boolean;
  readonly bytes: { readonly snapshots: number; readonly blobs: number; readonly refs: number; readonly cacheMounts: number };
}

interface Reach {
  refs: Set<string>;
  snapshots: Set<string>;
  blobs: Set<Digest>;
  diffIDKeys: Set<string>;
}

function emptyReach(): Reach {
  return { refs: new Set(), snapshots: new Set(), blobs: new Set(), diffIDKeys: new Set() };
}

function hex(d: string): string {
  return d.startsWith('sha256:') ? d.slice('sha256:'.length) : d;
}

export class Marker {
  readonly #inv: Inventory;
  readonly #primary = new Map<string, string | undefined>();
  readonly #available = new Map<string, boolean>();
  readonly #committed = new Set<string>();

  constructor(inv: Inventory) {
    this.#inv = inv;
    for (const t of inv.trees) for (const [k, s] of t.snapshots) if (s.kind === 'committed') this.#committed.add(k);
  }

  /** The key the ref's filesystem is (or would be) materialised under; undefined when empty. */
  primaryKey(id: string): string | undefined {
    if (this.#primary.has(id)) return this.#primary.get(id);
    this.#primary.set(id, undefined); // guards against cycles in corrupt records
    const rec = this.#inv.refs.get(id);
    let key: string | undefined;
    const src = rec?.source;
    switch (src?.kind) {
      case 'snapshot':
        key = src.key;
        break;
      case 'image':
        key = imageKeys(rec!).at(-1);
        break;
      case 'merge': {
        const keys = src.inputs.map((i) => this.primaryKey(i)).filter((k): k is string => k !== undefined);
        key = keys.length === 0 ? undefined : keys.length === 1 ? keys[0] : mergeSnapshotKey(keys);
        break;
      }
      case 'layer': {
        const top = rec!.layers.at(-1)?.blob;
        key = top ? layerSnapshotKey(src.parent !== undefined ? this.primaryKey(src.parent) : undefined, top.diffID) : undefined;
        break;
      }
      case 'diff': {
        const upper = this.primaryKey(src.upper);
        key = upper === undefined ? undefined : diffSnapshotKey(src.lower !== undefined ? this.primaryKey(src.lower) : undefined, upper);
        break;
      }
      default:
        key = undefined;
    }
    this.#primary.set(id, key);
    return key;
  }

  /** Whether loading the result would find its data (what the executor's loader checks). */
  available(id: string): boolean {
    const known = this.#available.get(id);
    if (known !== undefined) return known;
    this.#available.set(id, false);
    const rec = this.#inv.refs.get(id);
    let ok = false;
    if (rec) {
      const src = rec.source;
      switch (src.kind) {
        case 'snapshot':
          ok = this.#committed.has(src.key);
          break;
        case 'image': {
          const top = imageKeys(rec).at(-1);
          ok =
            (top !== undefined && this.#committed.has(top)) ||
            rec.layers.every((e) => e.blob && (this.#inv.blobs.has(e.blob.descriptor.digest) || e.blob.source !== undefined));
          break;
        }
        case 'merge':
          ok = src.inputs.every((i) => this.available(i));
          break;
        case 'diff':
          ok = (src.lower === undefined || this.available(src.lower)) && this.available(src.upper);
          break;
        case 'layer': {
          const top = rec.layers.at(-1)?.blob;
          ok = (src.parent === undefined || this.available(src.parent)) && top !== undefined && this.#inv.blobs.has(top.descriptor.digest);
          break;
        }
        case 'empty':
          ok = true;
          break;
      }
    }
    this.#available.set(id, ok);
    return ok;
  }

  /** Adds to `into` everything the ref needs, and returns it. */
  reach(id: string, into: Reach = emptyReach()): Reach {
    if (into.refs.has(id)) return into;
    const rec = this.#inv.refs.get(id);
    if (!rec) return into;
    into.refs.add(id);
    const src = rec.source;
    if (src.kind === 'merge') for (const i of src.inputs) this.reach(i, into);
    if (src.kind === 'layer' && src.parent !== undefined) this.reach(src.parent, into);
    if (src.kind === 'diff') {
      if (src.lower !== undefined) this.reach(src.lower, into);
      this.reach(src.upper, into);
    }
    const keys = src.kind === 'image' ? imageKeys(rec) : [];
    const primary = this.primaryKey(id);
    if (primary !== undefined) keys.push(primary);
    for (const k of keys) this.#snapshotChain(k, into.snapshots);
    if (src.kind === 'image' && src.config) into.blobs.add(src.config.digest);
    for (const e of rec.layers) {
      let diffID: Digest | undefined;
      if (e.blob) {
        into.blobs.add(e.blob.descriptor.digest);
        diffID = e.blob.diffID;
      } else if (e.snapshot) {
        const k = diffIDKey(e);
        into.diffIDKeys.add(k);
        diffID = this.#inv.diffIDs.get(k);
      }
      // Compressed copies of a kept layer stay: they make the next export or push quick.
      if (diffID) for (const b of this.#inv.linkTargets.get(hex(diffID)) ?? []) into.blobs.add(b);
    }
    return into;
  }

  #snapshotChain(key: string, into: Set<string>): void {
    for (let k: string | undefined = key; k !== undefined && !into.has(k);) {
      into.add(k);
      let parent: string | undefined;
      for (const t of this.#inv.trees) parent ??= t.snapshots.get(k)?.parent;
      k = parent;
    }
  }

  /** Snapshots in use by running processes (active and view) and the chains under them. */
  liveSnapshots(): Set<string> {
    const out = new Set<string>();
    for (const t of this.#inv.trees) for (const [k, s] of t.snapshots) if (s.kind !== 'committed') this.#snapshotChain(k, out);
    return out;
  }
}

function imageKeys(rec: RefRecord): string[] {
  if (!rec.layers.every((e) => e.blob)) return [];
  return imageSnapshotKeys(rec.layers.map((e) => e.blob!.diffID));
}

function snapshotBytes(inv: Inventory, key: string): number {
  let n = 0;
  for (const t of inv.trees) n += t.sizes.get(key) ?? 0;
  return n;
}

/** Bytes `r` adds over what `kept` already holds (image-store blobs are not build cache). */
function addedBytes(inv: Inventory, r: Reach, kept: Reach): number {
  let n = 0;
  for (const k of r.snapshots) if (!kept.snapshots.has(k)) n += snapshotBytes(inv, k);
  for (const b of r.blobs) if (!kept.blobs.has(b) && !inv.imageDigests.has(b)) n += inv.blobs.get(b) ?? 0;
  return n;
}

function merge(into: Reach, r: Reach): void {
  for (const x of r.refs) into.refs.add(x);
  for (const x of r.snapshots) into.snapshots.add(x);
  for (const x of r.blobs) into.blobs.add(x);
  for (const x of r.diffIDKeys) into.diffIDKeys.add(x);
}

/** Children before parents, so the snapshotter never refuses a removal for a remaining child. */
function childFirst(t: TreeInventory, keys: readonly string[]): string[] {
  const depth = (k: string): number => {
    let d = 0;
    for (let p = t.snapshots.get(k)?.parent; p !== undefined && d < 10_000; p = t.snapshots.get(p)?.parent) d++;
    return d;
  };
  return [...keys]
    .map((k) => ({ k, d: depth(k) }))
    .sort((a, b) => b.d - a.d || a.k.localeCompare(b.k))
    .map((x) => x.k);
}

export function planPrune(inv: Inventory, opts: PlanOptions): PrunePlan {
  const m = new Marker(inv);
  const groups = [...inv.results.values()].sort((a, b) => b.lastUsed - a.lastUsed || a.resultId.localeCompare(b.resultId));
  const filtered = opts.until !== undefined || opts.keepStorage !== undefined;
  const keepResults: ResultGroup[] = [];
  const dropResults: ResultGroup[] = [];
  let dangling = 0;
  const kept = emptyReach();
  let keptBytes = 0;
  let full = false;
  for (const g of groups) {
    if (!m.available(g.resultId)) {
      dangling++;
      dropResults.push(g);
      continue;
    }
    const old = opts.until !== undefined && g.lastUsed < opts.until;
    if ((opts.all && !filtered) || old || full) {
      dropResults.push(g);
      continue;
    }
    const r = m.reach(g.resultId);
    if (opts.keepStorage !== undefined) {
      const added = addedBytes(inv, r, kept);
      // Least recently used go first: once one does not fit, it and every older one go.
      if (keptBytes + added > opts.keepStorage) {
        full = true;
        dropResults.push(g);
        continue;
      }
      keptBytes += added;
    }
    merge(kept, r);
    keepResults.push(g);
  }

  const live = m.liveSnapshots();
  const dropSnapshots = inv.trees.map((t) => ({
    tree: t,
    keys: childFirst(
      t,
      [...t.snapshots.values()]
        .filter((s) => s.kind === 'committed' && !kept.snapshots.has(s.key) && !live.has(s.key) && !inv.imageSnapshots.has(s.key))
        .map((s) => s.key),
    ),
  }));
  const dropRefs = [...[...inv.refs.keys()].filter((id) => !kept.refs.has(id)), ...inv.unreadableRefs];
  const keptBlobs = new Set([...kept.blobs, ...inv.imageDigests]);
  const dropBlobs = [...inv.blobs.keys()].filter((d) => !keptBlobs.has(d));
  const dropLayerBlob = (l: (typeof inv.links)[number]) => l.target === undefined || !keptBlobs.has(l.target) || !inv.blobs.has(l.target);
  // A layer's file listing (by diff_id) is worth keeping while some kept blob holds that layer.
  const listedLayers = new Set<string>();
  for (const l of inv.links) if (/^layer-blob-/.test(l.kind) && !dropLayerBlob(l)) listedLayers.add(l.key);
  for (const d of keptBlobs) listedLayers.add(hex(d));
  const dropLinks = inv.links.filter((l) => {
    if (l.kind === 'blob-source') return !keptBlobs.has(`sha256:${l.key}`);
    if (/^layer-files-/.test(l.kind)) return !listedLayers.has(l.key);
    if (!/^layer-blob-/.test(l.kind)) return false;
    return dropLayerBlob(l);
  });
  const dropDiffIDs = [...inv.diffIDs.keys()].filter((k) => !kept.diffIDKeys.has(k));
  const dropCacheMounts = Boolean(opts.all) && !filtered && inv.cacheMountCount > 0;

  let snapshotBytesDropped = 0;
  for (const { tree, keys } of dropSnapshots) for (const k of keys) snapshotBytesDropped += tree.sizes.get(k) ?? 0;
  return {
    keepResults,
    dropResults,
    dangling,
    dropRefs,
    dropSnapshots,
    dropBlobs,
    dropLinks,
    dropDiffIDs,
    dropCacheMounts,
    bytes: {
      snapshots: snapshotBytesDropped,
      blobs: dropBlobs.reduce((n, d) => n + (inv.blobs.get(d) ?? 0), 0),
      refs: dropRefs.reduce((n, id) => n + (inv.refSizes.get(id) ?? 0), 0),
      cacheMounts: dropCacheMounts ? inv.cacheMountBytes : 0,
    },
  };
}
