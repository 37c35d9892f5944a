// The build benchmark's command line.
import { cases, type Case, type Mode } from './cases.ts';

export const usage = `usage: node test/bench/build-cases.ts [--runs N] [--server] [--no-watch] [--keep] [--recorded] [--markdown] [CASE[:MODE]...]
  CASE is a case's name or letter (a-runs or a), MODE one of its modes; none means all.
  --runs N     timed runs per builder, case and mode (default 3, or $TSBUILD_BENCH_RUNS)
  --server     tsbuild's builds go through \`tsbuild server\`, up beside them as dockerd is beside docker's
  --no-watch   skip watch mode (tsbuild only)
  --keep       keep tsbuild's last state root
  --recorded   do not run BuildKit: compare with its recorded figures (not a measurement)
  --markdown   print the table as Markdown
cases: ${cases.map((c) => `${c.name} (${c.modes.join(', ')})`).join('; ')}`;

export interface Options {
  readonly runs: number;
  /** tsbuild's builds run in its build server, started (untimed) on each fresh state root. */
  readonly server: boolean;
  readonly watch: boolean;
  readonly keep: boolean;
  readonly recorded: boolean;
  readonly markdown: boolean;
  readonly help: boolean;
  /** CASE or CASE:MODE filters. */
  readonly wanted: readonly string[];
}

export class UsageError extends Error {}

function short(c: Case): string {
  return c.name.split('-')[0]!;
}

function matches(w: string, c: Case, m?: Mode): boolean {
  const [name, mode] = w.split(':');
  return (name === c.name || name === short(c)) && (mode === undefined || mode === m);
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
  let runs = Number(env.TSBUILD_BENCH_RUNS ?? 3);
  let watch = true;
  let server = false;
  let keep = false;
  let recorded = false;
  let markdown = false;
  let help = false;
  const wanted: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs' || a === '-n') runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) runs = Number(a.slice(7));
    else if (a === '--no-watch') watch = false;
    else if (a === '--server') server = true;
    else if (a === '--keep') keep = true;
    else if (a === '--recorded') recorded = true;
    else if (a === '--markdown') markdown = true;
    else if (a === '-h' || a === '--help') help = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!cases.some((c) => c.modes.some((m) => matches(a, c, m)))) throw new UsageError(`no case or mode "${a}"`);
    else wanted.push(a);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs: want a positive integer, got ${runs}`);
  return { runs, server, watch, keep, recorded, markdown, help, wanted };
}

export function selected(o: Options, c: Case, m: Mode): boolean {
  if (m === 'watch' && !o.watch) return false;
  return o.wanted.length === 0 || o.wanted.some((w) => matches(w, c, m));
}
