// `tsbuild prune`: garbage-collects the state directory with `docker builder prune`'s flags.
import { formatBytes, parseSize, prune, PruneFilterError, PruneLockedError, UnitError, type PruneResult } from '../../executor/index.ts';
import { defaultRoot } from '../../oci/index.ts';
import { UsageError, UserError } from '../errors.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';

const help = `Usage: tsbuild prune [OPTIONS]

Remove build cache from the state directory ($TSBUILD_ROOT). Images listed by \`tsbuild images\`
and everything they use are always kept (remove names with \`tsbuild rmi\` first).

Without options only dangling data goes: cache records whose data is gone, and results,
snapshots, blobs and links that no cache record or image uses.

Options:
  -a, --all                 remove all build cache, cache mounts (RUN --mount=type=cache) and
                            remembered file digests included
      --filter until=DUR    remove build cache not used for DUR, a Go duration (24h, 1h30m, 90s),
                            or since a time (RFC 3339, or Unix seconds)
      --keep-storage SIZE   keep the most recently used build cache up to SIZE (bytes, or 512MB,
                            10GB: powers of 1024) and remove the rest
      --dry-run             show what would be removed, remove nothing
  -f, --force               prune even while a build runs on this state directory (it may fail);
                            without it, prune refuses and exits 1
  -h, --help                show this help

With --filter or --keep-storage, they decide which build cache goes (also with --all), and
cache mounts are kept. Images in the store are not build cache: they keep their layers, unpacked
ones included (remove an image with rmi, then prune).`;

export function formatPrune(r: PruneResult): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'Would remove' : 'Removed';
  const parts = [
    `${r.removedResults} cached results (${r.removedRecords} cache keys${r.danglingResults > 0 ? `, ${r.danglingResults} dangling` : ''})`,
    `${r.removedRefs} refs`,
    `${r.removedSnapshots} snapshots`,
    `${r.removedBlobs} blobs`,
  ];
  if (r.removedCacheMounts) parts.push('cache mounts');
  lines.push(`${verb}: ${parts.join(', ')}`);
  if (r.skipped.length > 0) lines.push(`Kept ${r.skipped.length} snapshots in use`);
  lines.push(`${r.dryRun ? 'Total reclaimable' : 'Total reclaimed'}: ${formatBytes(r.reclaimedBytes)}`);
  return lines.join('\n') + '\n';
}

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs(
      {
        args: argv,
        allowPositionals: false,
        options: {
          all: { type: 'boolean', short: 'a' },
          filter: { type: 'string', multiple: true },
          'keep-storage': { type: 'string' },
          'dry-run': { type: 'boolean' },
          force: { type: 'boolean', short: 'f' },
          help: { type: 'boolean', short: 'h' },
        },
      },
      help,
    );
    if (!parsed) return 0;
    const v = parsed.values;
    let keepStorage: number | undefined;
    try {
      if (v['keep-storage'] !== undefined) keepStorage = parseSize(v['keep-storage']);
    } catch (err) {
      if (err instanceof UnitError) throw new UsageError(`--keep-storage: ${err.message}`);
      throw err;
    }
    const root = defaultRoot();
    let result: PruneResult;
    try {
      result = await prune(root, {
        ...(v.all ? { all: true } : {}),
        ...(v.filter ? { filter: v.filter } : {}),
        ...(keepStorage !== undefined ? { keepStorage } : {}),
        ...(v['dry-run'] ? { dryRun: true } : {}),
        ...(v.force ? { force: true } : {}),
      });
    } catch (err) {
      if (err instanceof PruneFilterError) throw new UsageError(`--filter: ${err.message}`);
      if (err instanceof PruneLockedError) throw new UserError(err.message);
      throw err;
    }
    if (result.forcedPast.length > 0) {
      process.stderr.write(`warning: pruned while ${result.forcedPast.length} build(s) were running (--force); they may fail\n`);
    }
    process.stdout.write(formatPrune(result));
    return 0;
  },
};
