// `tsbuild du`: disk usage of the state directory, by kind, and what `tsbuild prune --all`
// would free; `--verbose` lists every cached result.
import { formatBytes, usage as diskUsage, type DiskUsage } from '../../executor/index.ts';
import { defaultRoot } from '../../oci/index.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';

const help = `Usage: tsbuild du [OPTIONS]

Show disk usage of the state directory ($TSBUILD_ROOT, else \${XDG_DATA_HOME:-~/.local/share}/tsbuild).
RECLAIMABLE is what \`tsbuild prune --all\` would free; what images in \`tsbuild images\` use is
never reclaimable.

Options:
  -v, --verbose   also list every cached result: id, size, last use, the step that made it
      --json      print the usage as JSON
  -h, --help      show this help`;

/** "3 minutes ago" style, coarse on purpose. */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  const steps: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  if (s < 1) return 'just now';
  for (const [n, unit] of steps) {
    if (s >= n) {
      const v = Math.floor(s / n);
      return `${v} ${unit}${v === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

export function formatUsage(u: DiskUsage, verbose: boolean, now = Date.now()): string {
  const out: string[] = [];
  if (verbose) {
    const rows = [['RESULT', 'SIZE', 'LAST USED', 'KEYS', 'DESCRIPTION']];
    for (const r of u.perResult) {
      rows.push([r.resultId, formatBytes(r.size), ago(r.lastUsed, now), String(r.keys.length), r.available ? r.description : `${r.description} (dangling)`]);
    }
    out.push(rows.length > 1 ? table(rows) : 'No cached results.', '');
  }
  const rows = [['TYPE', 'COUNT', 'SIZE', 'RECLAIMABLE']];
  for (const c of u.categories) rows.push([c.name, String(c.count), formatBytes(c.size), formatBytes(c.reclaimable)]);
  rows.push(['Total', '', formatBytes(u.size), formatBytes(u.reclaimable)]);
  out.push(table(rows));
  out.push('', `${u.results} cached results under ${u.records} cache keys; ${u.images} image names. State: ${u.root}`);
  return out.join('\n') + '\n';
}

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs(
      {
        args: argv,
        allowPositionals: false,
        options: { verbose: { type: 'boolean', short: 'v' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      },
      help,
    );
    if (!parsed) return 0;
    const u = await diskUsage(defaultRoot());
    process.stdout.write(parsed.values.json ? JSON.stringify(u, null, 2) + '\n' : formatUsage(u, Boolean(parsed.values.verbose)));
    return 0;
  },
};
