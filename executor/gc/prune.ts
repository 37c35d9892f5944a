// Mark and sweep, the sweeping half. Deletion runs in dependency order so that a process killed
// at any point leaves a root the next build can use:
//
//   cache records ─► refs ─► snapshots (children first) ─► blobs ─► links, diff_ids ─► locals, cache mounts
//
// Only data no remaining record reaches is deleted after the records go, so a kept record
// never points at a removed ref, nor a kept ref at a removed snapshot or blob. And the loaders
// treat missing data as a cache miss anyway: a half-pruned root only costs rebuilds.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotError } from '../snapshot/index.ts';
import { acquirePruneLock, type LockHolder } from './build-lock.ts';
import { closeInventory, readInventory, type Inventory } from './inventory.ts';
import { planPrune, type PrunePlan } from './plan.ts';
import { isAlive } from '../process/index.ts';
import { parseUntil, UnitError } from './units.ts';

export interface PruneOptions {
  /** Remove all build cache (and cache mounts), not only dangling data. */
  readonly all?: boolean;
  /** Keep the most recently used build cache up to this many bytes. */
  readonly keepStorage?: number;
  /**
   * Remove build cache not used since then: a Go duration back from now (`'24h'`), an RFC 3339
   * time or Unix seconds as a string, milliseconds back from now as a number, or a Date.
   */
  readonly until?: string | number | Date;
  /** Docker-style filters; `until=<…>` (alias `unused-for=<…>`) is understood. */
  readonly filter?: readonly string[];
  /** Report what would be removed; remove nothing. */
  readonly dryRun?: boolean;
  /** Prune even while builds run on the root (they may then fail). */
  readonly force?: boolean;
  /** "Now" for `until` (tests). */
  readonly now?: number;
  /** Called before each deletion; lets tests stop a process at a precise point. */
  readonly onRemove?: (kind: 'records' | 'ref' | 'snapshot' | 'blob' | 'link' | 'dir', id: string) => void | Promise<void>;
}

export interface PruneResult {
  readonly dryRun: boolean;
  /** Cache records (keys) removed, and the results they named. */
  readonly removedRecords: number;
  readonly removedResults: number;
  /** Of those results, how many pointed at data that was already gone. */
  readonly danglingResults: number;
  readonly removedRefs: number;
  readonly removedSnapshots: number;
  readonly removedBlobs: number;
  readonly removedLinks: number;
  readonly removedCacheMounts: boolean;
  readonly reclaimedBytes: number;
  /** Snapshots that could not be removed (e.g. in use by a build that started regardless). */
  readonly skipped: readonly string[];
  /** Builds that were running when `force` was used. */
  readonly forcedPast: readonly LockHolder[];
}

export class PruneFilterError extends Error {
  override name = 'PruneFilterError';
}

/** The cutoff (epoch ms) the options ask for, if any. */
export function untilCutoff(opts: Pick<PruneOptions, 'until' | 'filter' | 'now'>): number | undefined {
  const now = opts.now ?? Date.now();
  let cutoff: number | undefined;
  const take = (t: number) => (cutoff = cutoff === undefined ? t : Math.min(cutoff, t));
  try {
    if (typeof opts.until === 'string') take(parseUntil(opts.until, now));
    else if (typeof opts.until === 'number') take(now - opts.until);
    else if (opts.until instanceof Date) take(opts.until.getTime());
    for (const f of opts.filter ?? []) {
      const eq = f.indexOf('=');
      const name = eq < 0 ? f : f.slice(0, eq);
      if (name !== 'until' && name !== 'unused-for')
        throw new PruneFilterError(`unsupported filter ${JSON.stringify(f)}: only until=<duration or time> is supported (e.g. until=24h)`);
      take(parseUntil(f.slice(eq + 1), now));
    }
  } catch (e) {
    if (e instanceof UnitError) throw new PruneFilterError(e.message);
    throw e;
  }
  return cutoff;
}

async function sweep(
  inv: Inventory,
  plan: PrunePlan,
  opts: PruneOptions,
  quiet: boolean,
): Promise<{ snapshots: number; skipped: string[]; reclaimed: number }> {
  const hook = opts.onRemove ?? (() => {});
  const keys = plan.dropResults.flatMap((g) => g.keys);
  await hook('records', String(keys.length));
  await inv.cache.delete(keys);

  for (const id of plan.dropRefs) {
    await hook('ref', id);
    await inv.refStore.delete(id);
  }
  await inv.refStore.cleanTemps(isAlive);

  let snapshots = 0;
  let reclaimed = plan.bytes.refs + plan.bytes.blobs;
  const skipped: string[] = [];
  for (const { tree, keys: drop } of plan.dropSnapshots) {
    for (const key of drop) {
      await hook('snapshot', key);
      try {
        await tree.tree.remove(key);
        snapshots++;
        reclaimed += tree.sizes.get(key) ?? 0;
      } catch (e) {
        if (!(e instanceof SnapshotError)) throw e;
        skipped.push(key);
      }
    }
  }

  for (const d of plan.dropBlobs) {
    await hook('blob', d);
    await inv.content.delete(d);
  }
  await inv.content.cleanIngest(quiet ? 600_000 : undefined);
  for (const l of plan.dropLinks) {
    await hook('link', `${l.kind}/${l.key}`);
    await inv.content.deleteLink(l.kind, l.key);
  }
  for (const k of plan.dropDiffIDs) await inv.refStore.deleteDiffID(k);

  // Link farms and cache mounts may be in use by a build this prune was forced past.
  if (quiet) {
    if (keys.length > 0) inv.cache.compact();
    await hook('dir', 'locals');
    await rm(join(inv.root, 'locals'), { recursive: true, force: true });
    // COPY reuse memos name snapshots that may be gone now; a memo is only a hint, rebuilt by the
    // next COPY, so they all go.
    await rm(join(inv.root, 'copy-reuse'), { recursive: true, force: true });
    // All build cache includes the remembered file digests: the next build hashes its contexts
    // again, as after BuildKit's `prune -af` (its checksums live with the contexts it drops).
    if (opts.all && opts.keepStorage === undefined && untilCutoff(opts) === undefined) await rm(join(inv.root, 'contenthash.bin'), { force: true });
    if (plan.dropCacheMounts) {
      await hook('dir', 'cache-mounts');
      await rm(join(inv.root, 'cache-mounts'), { recursive: true, force: true });
      reclaimed += plan.bytes.cacheMounts;
    }
  }
  return { snapshots, skipped, reclaimed };
}

/**
 * Removes build cache from `root`. Without options: only dangling data (records whose data is
 * gone, and refs, snapshots, blobs and links no record or image reaches). `all`: every cache
 * record and the cache mounts. `until` / `keepStorage`: the records they select. The image
 * store is never changed; what its names reach is always kept.
 */
export async function prune(root: string, opts: PruneOptions = {}): Promise<PruneResult> {
  const until = untilCutoff(opts);
  if (opts.keepStorage !== undefined && !(opts.keepStorage >= 0)) throw new PruneFilterError(`keep-storage must be a size of at least 0 bytes`);
  const lock = opts.dryRun ? undefined : await acquirePruneLock(root, opts.force);
  try {
    const inv = await readInventory(root);
    try {
      const plan = planPrune(inv, {
        ...(opts.all ? { all: true } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(opts.keepStorage !== undefined ? { keepStorage: opts.keepStorage } : {}),
      });
      const removedRecords = plan.dropResults.reduce((n, g) => n + g.keys.length, 0);
      const base = {
        removedRecords,
        removedResults: plan.dropResults.length,
        danglingResults: plan.dangling,
        removedRefs: plan.dropRefs.length,
        removedBlobs: plan.dropBlobs.length,
        removedLinks: plan.dropLinks.length,
        removedCacheMounts: plan.dropCacheMounts,
        forcedPast: lock?.builds ?? [],
      };
      if (opts.dryRun) {
        const snaps = plan.dropSnapshots.reduce((n, t) => n + t.keys.length, 0);
        const bytes = plan.bytes.snapshots + plan.bytes.blobs + plan.bytes.refs + plan.bytes.cacheMounts;
        return { ...base, dryRun: true, removedSnapshots: snaps, reclaimedBytes: bytes, skipped: [] };
      }
      const quiet = (lock?.builds.length ?? 0) === 0;
      const done = await sweep(inv, plan, opts, quiet);
      return {
        ...base,
        dryRun: false,
        removedCacheMounts: plan.dropCacheMounts && quiet,
        removedSnapshots: done.snapshots,
        reclaimedBytes: done.reclaimed,
        skipped: done.skipped,
      };
    } finally {
      await closeInventory(inv);
    }
  } finally {
    await lock?.release();
  }
}
