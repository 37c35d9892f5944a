// `du` for a root: what each kind of state holds and what `prune --all` would give back.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import { closeInventory, readInventory, type Inventory } from './inventory.ts';
import { measureDir } from './measure.ts';
import { Marker, planPrune } from './plan.ts';

export type UsageCategoryName = 'cache records' | 'refs' | 'snapshots' | 'content' | 'cache mounts' | 'local contexts';

export interface UsageCategory {
  readonly name: UsageCategoryName;
  readonly count: number;
  readonly size: number;
  /** Bytes `prune --all` would free. */
  readonly reclaimable: number;
}

export interface ResultUsage {
  readonly resultId: string;
  /** The cache keys naming it (definition and content keys). */
  readonly keys: readonly string[];
  /** What made it: the step name of its top layer, or its source. */
  readonly description: string;
  /** Bytes of its own snapshots and blobs (not its parents', not the image store's). */
  readonly size: number;
  readonly createdAt: number;
  readonly lastUsed: number;
  /** False when its data is gone: a dangling record that any prune removes. */
  readonly available: boolean;
}

export interface DiskUsage {
  readonly root: string;
  readonly categories: readonly UsageCategory[];
  /** Cache records (keys) and the distinct results they name. */
  readonly records: number;
  readonly results: number;
  readonly images: number;
  readonly size: number;
  readonly reclaimable: number;
  /** Most recently used first. */
  readonly perResult: readonly ResultUsage[];
}

async function fileSize(p: string): Promise<number> {
  return (await stat(p).catch(() => undefined))?.size ?? 0;
}

function describe(inv: Inventory, id: string): string {
  const rec = inv.refs.get(id);
  if (!rec) return id.startsWith('local-') ? 'local context' : '(data gone)';
  const src = rec.source;
  if (src.kind === 'image') return src.reference ?? 'image';
  if (src.kind === 'merge') return `merge of ${src.inputs.length}`;
  if (src.kind === 'diff') return 'diff';
  if (src.kind === 'empty') return 'scratch';
  return rec.layers.at(-1)?.description ?? 'snapshot';
}

function ownSize(inv: Inventory, m: Marker, id: string): number {
  const rec = inv.refs.get(id);
  if (!rec) return 0;
  let n = 0;
  const key = m.primaryKey(id);
  if (key !== undefined) for (const t of inv.trees) n += t.sizes.get(key) ?? 0;
  const blobs = new Set<Digest>();
  for (const e of rec.layers) if (e.blob && !inv.imageDigests.has(e.blob.descriptor.digest)) blobs.add(e.blob.descriptor.digest);
  for (const b of blobs) n += inv.blobs.get(b) ?? 0;
  return n;
}

export async function usage(root: string): Promise<DiskUsage> {
  const inv = await readInventory(root);
  try {
    const plan = planPrune(inv, { all: true });
    const m = new Marker(inv);
    const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);
    const committed = inv.trees.flatMap((t) => [...t.snapshots.values()].filter((s) => s.kind === 'committed'));
    const locals = await measureDir(join(root, 'locals'));
    const dbBytes = sum(await Promise.all(['cache.db', 'cache.db-wal', 'cache.db-shm'].map((f) => fileSize(join(root, f)))));
    const categories: UsageCategory[] = [
      { name: 'cache records', count: inv.recordCount, size: dbBytes, reclaimable: 0 },
      { name: 'refs', count: inv.refs.size + inv.unreadableRefs.length, size: sum(inv.refSizes.values()), reclaimable: plan.bytes.refs },
      { name: 'snapshots', count: committed.length, size: sum(inv.trees.flatMap((t) => [...t.sizes.values()])), reclaimable: plan.bytes.snapshots },
      { name: 'content', count: inv.blobs.size, size: sum(inv.blobs.values()), reclaimable: plan.bytes.blobs },
      { name: 'cache mounts', count: inv.cacheMountCount, size: inv.cacheMountBytes, reclaimable: plan.bytes.cacheMounts },
      { name: 'local contexts', count: inv.localCount, size: locals.size, reclaimable: locals.size },
    ];
    const perResult: ResultUsage[] = [...inv.results.values()]
      .sort((a, b) => b.lastUsed - a.lastUsed || a.resultId.localeCompare(b.resultId))
      .map((g) => ({
        resultId: g.resultId,
        keys: g.keys,
        description: describe(inv, g.resultId),
        size: ownSize(inv, m, g.resultId),
        createdAt: g.createdAt,
        lastUsed: g.lastUsed,
        available: m.available(g.resultId),
      }));
    return {
      root,
      categories,
      records: inv.recordCount,
      results: inv.results.size,
      images: inv.imageCount,
      size: sum(categories.map((c) => c.size)),
      reclaimable: sum(categories.map((c) => c.reclaimable)),
      perResult,
    };
  } finally {
    await closeInventory(inv);
  }
}
