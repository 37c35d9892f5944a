// The build benchmark's table. A ratio is tsbuild's median over BuildKit's median from the same
// run; against recorded figures only on request, and then marked so on every row.
import { targets, type Mode } from './cases.ts';
import { median } from './timing.ts';

export type Baseline =
  /** BuildKit timed in this run, alternately with tsbuild. */
  | { readonly kind: 'live'; readonly what: string }
  /** Seconds written down on some day (--recorded). */
  | { readonly kind: 'recorded'; readonly source: string; readonly seconds: ReadonlyMap<string, number> }
  | { readonly kind: 'none'; readonly reason: string };

export interface Row {
  readonly c: string;
  readonly m: Mode;
  /** tsbuild's times, seconds. */
  readonly ours: readonly number[];
  /** BuildKit's times in this run, seconds. */
  readonly theirs?: readonly number[];
}

export interface ReportOptions {
  readonly runs: number;
  readonly markdown: boolean;
  /** tsbuild's builds ran in its build server. */
  readonly server?: boolean;
  /** Lines about single rows or cases (a case BuildKit could not build, a workaround). */
  readonly notes?: readonly string[];
}

function headerLines(b: Baseline, runs: number, server = false): string[] {
  const how = server ? 'one CLI process per build handing it to `tsbuild server` (up beside, as dockerd is)' : 'one CLI process per build';
  const ours = `tsbuild: median of ${runs} run(s), ${how}, --progress=quiet, writing to its image store (-t).`;
  switch (b.kind) {
    case 'live':
      return [
        ours,
        `BuildKit: ${b.what}, median of ${runs} run(s), timed in this run alternately with tsbuild (tsbuild 1, BuildKit 1, tsbuild 2, …).`,
        'ratio = tsbuild median / BuildKit median, both from this run.',
      ];
    case 'recorded':
      return [
        ours,
        `RATIOS AGAINST RECORDED FIGURES, NOT A MEASUREMENT (--recorded): BuildKit's seconds are ${b.source}, not timed in this run. BuildKit's times vary from day to day on this machine, so these ratios are no speed claim.`,
      ];
    case 'none':
      return [
        ours,
        `No ratios: ${b.reason}. A ratio needs BuildKit timed in the same run; --recorded compares with recorded figures instead (not a measurement).`,
      ];
  }
}

const fmt = (s: number): string => s.toFixed(3);

function cells(r: Row, b: Baseline): string[] {
  const key = `${r.c} ${r.m}`;
  const t = targets[key];
  const ours = median(r.ours);
  let theirs = '–';
  let ratio: number | undefined;
  let ratioCell = '–';
  if (b.kind === 'live' && r.theirs && r.theirs.length > 0) {
    const m = median(r.theirs);
    theirs = fmt(m);
    ratio = ours / m;
    ratioCell = `${ratio.toFixed(2)}×`;
  } else if (b.kind === 'recorded' && b.seconds.has(key)) {
    const m = b.seconds.get(key)!;
    theirs = `${m.toFixed(2)} (recorded)`;
    ratio = ours / m;
    ratioCell = `${ratio.toFixed(2)}× vs recorded`;
  }
  let target = '–';
  let ok = '';
  if (t?.ratio !== undefined) {
    target = `≤ ${t.ratio}×`;
    if (ratio !== undefined) ok = ratio <= t.ratio ? '✔' : '✘';
  } else if (t?.seconds !== undefined) {
    target = `≤ ${t.seconds} s`;
    ok = ours <= t.seconds ? '✔' : '✘';
  }
  const raw = (xs: readonly number[] | undefined): string => (xs && xs.length > 0 ? xs.map((x) => x.toFixed(2)).join(' ') : '–');
  return [r.c, r.m, fmt(ours), theirs, ratioCell, target, ok, raw(r.ours), b.kind === 'live' ? raw(r.theirs) : '–'];
}

const header = ['case', 'mode', 'tsbuild s', 'BuildKit s', 'ratio', 'target', 'ok', 'tsbuild runs (s)', 'BuildKit runs (s)'];

export function renderReport(rows: readonly Row[], b: Baseline, o: ReportOptions): string {
  const lines = [...headerLines(b, o.runs, o.server), ...(o.notes ?? [])];
  const table = rows.map((r) => cells(r, b));
  if (o.markdown) {
    const md = (row: readonly string[]) => `| ${row.join(' | ')} |`;
    return [...lines.flatMap((l) => [l, '']), md(header), md(header.map(() => '---')), ...table.map(md)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [...lines, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n');
}
