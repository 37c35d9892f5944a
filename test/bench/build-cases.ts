// The build benchmarks of the performance table (docs/design.md): the cases in test/bench/cases/
// built by the tsbuild CLI and by `docker build` (BuildKit) in the same run, alternately (tsbuild
// run 1, BuildKit run 1, tsbuild run 2, …) so that the machine's drift hits both; the ratio of
// their medians is the only speed claim. The peer daemon comes from the shared folder's
// peers/start.sh (`../shared` beside the repository, or $TSBUILD_SHARED / $TSBUILD_PEERS), run
// here when it is not up. Without it the table has tsbuild's times only; `--recorded` compares
// with recorded BuildKit figures instead, marked as such on every row.
//
//   node test/bench/build-cases.ts [--runs N] [--no-watch] [--keep] [--recorded] [--markdown] [CASE[:MODE]...]
//   e.g. node test/bench/build-cases.ts --runs 3 c-bigctx e-app:edit realistic
//
// Modes (the same for both builders): cold (tsbuild: a fresh state root holding only the seeded
// base images; BuildKit: `docker builder prune -af` and the result image removed), nochange
// (rebuild after a warm-up), touch (one context file's mtime bumped), edit (one context file's
// content changed), nocache (`--no-cache`), watch (tsbuild only: `build --watch -o type=local`,
// seconds from the edit to the new output on disk). Both write to their image store (-t), with
// --network=none, or --network=host for the realistic case (apt reaches Debian's mirror).
// Needs root (runc, overlayfs), python3 and openssl (context generation); data (contexts, state
// roots; about 400 MB with c-bigctx), generated for the chosen cases only, under
// $TSBUILD_BENCH_DATA, default test/bench/.data.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, selected, usage, UsageError, type Options } from './build/args.ts';
import { connectBuildkit, type BuildkitSide } from './build/buildkit.ts';
import { cases, type Case, type Mode } from './build/cases.ts';
import { debianHint, findPeers, registryHas, startPeers } from './build/peers.ts';
import { recordedBaseline } from './build/recorded.ts';
import { renderReport, type Baseline, type Row } from './build/report.ts';
import { ContextChanges, sync } from './build/timing.ts';
import { debianInRegistry, TsbuildSide } from './build/tsbuild.ts';
import { watchLatencies } from './build/watch.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const data = process.env.TSBUILD_BENCH_DATA ?? join(here, '.data');

const changes = new ContextChanges();

/** One case in one mode: untimed preparation, then the timed runs, alternating builders. */
async function measure(
  ts: TsbuildSide,
  bk: BuildkitSide | undefined,
  dockerfile: string,
  c: Case,
  m: Mode,
  ctxDir: string,
  runs: number,
  warm: boolean,
): Promise<Row> {
  if (m === 'watch') {
    if (!warm) await ts.freshRoot();
    const ours = await watchLatencies(ts, c, ctxDir, changes, runs);
    await changes.apply(ctxDir, c.editFile!, 'restore');
    return { c: c.name, m, ours };
  }
  if (m !== 'cold') {
    // Both builders start from a build of the current context; nochange and nocache get one more, as hyperfine -w 1.
    if (!warm) await ts.freshRoot();
    for (let i = m === 'nochange' || m === 'nocache' ? 2 : 1; i > 0; i--) {
      await ts.build(c, ctxDir, m);
      await bk?.build(c, dockerfile, ctxDir, m);
    }
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (m === 'cold') await ts.freshRoot(c);
    else if (m === 'touch' || m === 'edit') await changes.apply(ctxDir, c.editFile!, m);
    sync();
    ours.push(await ts.build(c, ctxDir, m));
    if (!bk) continue;
    if (m === 'cold') bk.clean(c);
    else if (m === 'touch' || m === 'edit') await changes.apply(ctxDir, c.editFile!, m);
    sync();
    theirs.push(await bk.build(c, dockerfile, ctxDir, m));
  }
  return { c: c.name, m, ours, ...(bk ? { theirs } : {}) };
}

async function main(o: Options): Promise<void> {
  const chosen = cases.filter((c) => c.modes.some((m) => selected(o, c, m)));
  const bases = new Set(chosen.flatMap((c) => c.bases));
  const peers = findPeers(repo);
  const ts = new TsbuildSide(repo, data, o.server);
  const notes: string[] = [];

  let baseline: Baseline;
  let buildkit: ReturnType<typeof connectBuildkit> | undefined;
  if (o.recorded) baseline = recordedBaseline(peers, here);
  else {
    buildkit = connectBuildkit(peers, bases, data);
    baseline = buildkit.side
      ? { kind: 'live', what: `docker build (docker ${buildkit.side.version}, DOCKER_BUILDKIT=1, its built-in Dockerfile frontend)` }
      : { kind: 'none', reason: `BuildKit is not available: ${buildkit.reason}` };
    if (!buildkit.side) console.error(`BuildKit: ${buildkit.reason}`);
  }

  // tsbuild's debian comes from the peers' registry, once, into the seed.
  const skipped = new Set<string>();
  if (bases.has('debian') && !existsSync(join(ts.seedRoot, '.seeded-debian'))) {
    if (!(await registryHas('debian', 'latest'))) startPeers(peers);
    if (!(await registryHas('debian', 'latest'))) {
      for (const c of chosen) if (c.bases.includes('debian')) skipped.add(c.name);
      notes.push(`Skipped ${[...skipped].join(', ')}: the registry has no ${debianInRegistry} (${debianHint(peers)}).`);
    }
  }

  console.error('generating contexts…');
  execFileSync(
    join(here, 'gen-contexts.sh'),
    chosen.map((c) => c.ctx),
    { env: { ...process.env, TSBUILD_BENCH_DATA: data }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (const c of cases) if (existsSync(join(data, c.ctx))) await copyFile(join(here, 'cases', c.name, 'Dockerfile'), join(data, c.ctx, 'Dockerfile'));
  console.error('seeding base images…');
  await ts.seed(new Set([...bases].filter((b) => b !== 'debian' || skipped.size === 0)));

  const rows: Row[] = [];
  for (const c of chosen) {
    if (skipped.has(c.name)) continue;
    const ctxDir = join(data, c.ctx);
    const lacking = c.bases.filter((b) => buildkit?.missing.has(b));
    if (lacking.length > 0)
      notes.push(
        `${c.name}: tsbuild only, docker has no ${lacking.map((b) => `${b}:local`).join(', ')} (${lacking.map((b) => buildkit!.missing.get(b)).join('; ')}).`,
      );
    const bk = lacking.length === 0 ? buildkit?.side : undefined;
    const dockerfile = bk ? await bk.dockerfile(c, ctxDir) : '';
    let warm = false;
    try {
      for (const m of c.modes) {
        if (!selected(o, c, m)) continue;
        console.error(`${c.name} ${m}…`);
        const row = await measure(ts, m === 'watch' ? undefined : bk, dockerfile, c, m, ctxDir, o.runs, warm);
        warm = true;
        rows.push(row);
        const list = (xs: readonly number[]) => xs.map((t) => t.toFixed(3)).join(' ');
        console.error(`  tsbuild ${list(row.ours)}${row.theirs ? `  |  BuildKit ${list(row.theirs)}` : ''}`);
      }
    } finally {
      if (c.editFile) await changes.apply(ctxDir, c.editFile, 'restore');
    }
  }
  if (!o.keep) await ts.dropRunRoot();
  console.log(`\n${renderReport(rows, baseline, { runs: o.runs, markdown: o.markdown, server: o.server, notes })}`);
}

let options: Options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  console.error(`build-cases: ${e.message}\n${usage}`);
  process.exit(2);
}
if (options.help) console.log(usage);
else await main(options);
