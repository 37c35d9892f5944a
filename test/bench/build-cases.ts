// The build benchmarks of the performance table (docs/design.md): the cases in test/bench/cases/
// built by the tsbuild CLI as a separate process, each mode timed N times (median), next to
// BuildKit's time on the same case. BuildKit runs in this script when a docker daemon with
// `busybox:local` answers (see /work/shared/peers); otherwise its recorded figures are used.
//
//   node test/bench/build-cases.ts [--runs N] [--no-watch] [--keep] [CASE[:MODE]...]
//   e.g. node test/bench/build-cases.ts --runs 3 c-bigctx e-app:edit
//
// Modes: cold (fresh state root holding only the seeded busybox image), nochange (rebuild, all
// cached), touch (one context file's mtime bumped), edit (one context file's content changed),
// watch (`build --watch -o type=local`: seconds from the edit to the new output on disk).
// Needs root (runc, overlayfs), python3 and openssl (context generation).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, copyFile, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = join(repo, 'cli/bin.js');
const data = process.env.TSBUILD_BENCH_DATA ?? join(here, '.data');

type Mode = 'cold' | 'nochange' | 'touch' | 'edit' | 'watch';
interface Case {
  readonly name: string;
  readonly ctx: string;
  readonly modes: readonly Mode[];
  /** The file that touch/edit/watch change, relative to the context. */
  readonly editFile?: string;
}

const cases: readonly Case[] = [
  { name: 'a-runs', ctx: 'ctx-a-runs', modes: ['cold', 'nochange'] },
  { name: 'b-multistage', ctx: 'ctx-b-multistage', modes: ['cold', 'nochange'] },
  { name: 'c-bigctx', ctx: 'ctx-big', modes: ['cold', 'nochange', 'touch', 'edit'], editFile: 'small/d000/f000.txt' },
  { name: 'e-app', ctx: 'ctx-app', modes: ['cold', 'nochange', 'edit', 'watch'], editFile: 'src/m00/file000.js' },
];

/** Targets of the design's performance table: a ratio to BuildKit, or (watch) absolute seconds. */
const targets: Record<string, { ratio?: number; seconds?: number }> = {
  'a-runs cold': { ratio: 0.9 },
  'b-multistage cold': { ratio: 0.8 },
  'b-multistage nochange': { ratio: 0.5 },
  'c-bigctx cold': { ratio: 0.2 },
  'c-bigctx nochange': { ratio: 0.3 },
  'c-bigctx touch': { ratio: 0.3 },
  'c-bigctx edit': { ratio: 0.2 },
  'e-app edit': { ratio: 0.6 },
  'e-app watch': { seconds: 0.5 },
};

/** The design table's BuildKit figures, used when no peer results file is around. */
const designFigures: Record<string, number> = {
  'a-runs cold': 2.4,
  'b-multistage cold': 4.3,
  'b-multistage nochange': 0.16,
  'c-bigctx cold': 27,
  'c-bigctx nochange': 1.0,
  'c-bigctx touch': 1.0,
  'c-bigctx edit': 7.2,
  'e-app edit': 1.1,
};

// ---- arguments ----

const argv = process.argv.slice(2);
let runs = Number(process.env.TSBUILD_BENCH_RUNS ?? 3);
let watchMode = true;
let keep = false;
const wanted: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--runs' || a === '-n') runs = Number(argv[++i]);
  else if (a.startsWith('--runs=')) runs = Number(a.slice(7));
  else if (a === '--no-watch') watchMode = false;
  else if (a === '--keep') keep = true;
  else if (a === '-h' || a === '--help') {
    console.log('usage: node test/bench/build-cases.ts [--runs N] [--no-watch] [--keep] [CASE[:MODE]...]');
    process.exit(0);
  } else wanted.push(a);
}
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: want a positive integer, got ${runs}`);

function selected(c: Case, m: Mode): boolean {
  if (m === 'watch' && !watchMode) return false;
  if (wanted.length === 0) return true;
  return wanted.some((w) => w === c.name || w === `${c.name}:${m}` || w === c.name.split('-')[0] || w === `${c.name.split('-')[0]}:${m}`);
}

// ---- BuildKit figures ----

interface Baseline {
  readonly source: string;
  readonly seconds: Map<string, number>;
}

function peerFigures(): Baseline {
  for (const file of ['/work/shared/bench/results-peers.md', join(here, 'results-peers.md')]) {
    if (!existsSync(file)) continue;
    const seconds = new Map<string, number>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // | c-bigctx | touch | 0.97 ± 0.07 [0.89] | ...
      const cells = line.split('|').map((s) => s.trim());
      const mean = /^([\d.]+)\s*±/.exec(cells[3] ?? '');
      if (cells.length > 4 && mean) seconds.set(`${cells[1]} ${cells[2]}`, Number(mean[1]));
    }
    if (seconds.size > 0) return { source: `recorded docker build (BuildKit) means from ${file}`, seconds };
  }
  return { source: "recorded BuildKit figures of docs/design.md's performance table", seconds: new Map(Object.entries(designFigures)) };
}

const dockerEnv = { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///run/peer-docker.sock', DOCKER_BUILDKIT: '1' };
function dockerAvailable(): boolean {
  if (!existsSync('/usr/bin/docker')) return false;
  const r = spawnSync('/usr/bin/docker', ['image', 'inspect', 'busybox:local'], { env: dockerEnv, stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

// ---- helpers ----

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timed(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const s = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}`);
  return s;
}

function sync(): void {
  spawnSync('sync');
}

// ---- tsbuild ----

const seedRoot = join(data, 'root-seed');
const runRoot = join(data, 'root-run');

function tsbuild(root: string, args: readonly string[]): Promise<number> {
  return timed(process.execPath, [bin, ...args], { ...process.env, TSBUILD_ROOT: root });
}

async function seed(): Promise<void> {
  if (existsSync(join(seedRoot, '.seeded'))) return;
  await rm(seedRoot, { recursive: true, force: true });
  await mkdir(seedRoot, { recursive: true });
  await tsbuild(seedRoot, ['build', '--progress=quiet', '-f', join(repo, 'examples/busybox/build.ts'), '--local', 'busybox=/usr/bin', '-t', 'busybox:latest', join(repo, 'examples/busybox')]);
  await appendFile(join(seedRoot, '.seeded'), '');
}

/** A state root holding only the seeded base image. */
async function freshRoot(): Promise<void> {
  await rm(runRoot, { recursive: true, force: true });
  execFileSync('cp', ['-a', '--reflink=auto', seedRoot, runRoot]);
  sync();
}

// ---- edits ----

const pristine = new Map<string, Buffer>();
async function prepareChange(ctxDir: string, file: string, how: 'touch' | 'edit' | 'restore'): Promise<void> {
  const path = join(ctxDir, file);
  if (!pristine.has(path)) pristine.set(path, await readFile(path));
  if (how === 'touch') {
    const now = new Date();
    await utimes(path, now, now);
  } else if (how === 'edit') {
    await writeFile(path, Buffer.concat([pristine.get(path)!, Buffer.from(`// edit ${process.hrtime.bigint()}\n`)]));
  } else {
    await writeFile(path, pristine.get(path)!);
    const fixed = new Date('2024-01-01T00:00:00Z');
    await utimes(path, fixed, fixed);
  }
}

// ---- watch mode ----

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function watchLatencies(c: Case, ctxDir: string, n: number): Promise<number[]> {
  const out = join(data, 'watch-out');
  await rm(out, { recursive: true, force: true });
  const child = spawn(process.execPath, [bin, 'build', '--watch', '--progress=quiet', '-o', `type=local,dest=${out}`, ctxDir], {
    env: { ...process.env, TSBUILD_ROOT: runRoot },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((res) => child.on('close', () => res()));
  const stamp = join(out, 'app/build.txt');
  const readStamp = async (): Promise<string | undefined> => {
    try {
      const s = await readFile(stamp, 'utf8');
      return /^[0-9a-f]{64} {2}-\n$/.test(s) ? s : undefined;
    } catch {
      return undefined;
    }
  };
  const times: number[] = [];
  try {
    let last = await waitFor(readStamp, 300_000, `the first watch build (${log})`);
    // The watcher arms after the first build's status line.
    await waitFor(async () => (log.includes('watching') ? true : undefined), 60_000, 'the watch status line');
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      await prepareChange(ctxDir, c.editFile!, 'edit');
      last = await waitFor(async () => {
        const s = await readStamp();
        return s !== undefined && s !== last ? s : undefined;
      }, 60_000, `a rebuild after the edit (${log})`);
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!stopped) {
      console.error('  watch: the process did not exit within 10 s of SIGTERM; killing it');
      child.kill('SIGKILL');
      await exited;
    }
  }
  return times;
}

// ---- docker (BuildKit) in the same run ----

async function dockerTimes(c: Case, m: Mode, ctxDir: string, n: number): Promise<number[] | undefined> {
  if (m === 'watch') return undefined;
  const dockerfile = `/work/shared/bench/cases/${c.name}/Dockerfile`;
  const build = (): Promise<number> => timed('/usr/bin/docker', ['build', '-q', '--network=none', '-f', dockerfile, '-t', `bench-${c.name}`, ctxDir], dockerEnv);
  const clean = (): void => {
    spawnSync('/usr/bin/docker', ['rmi', '-f', `bench-${c.name}`], { env: dockerEnv, stdio: 'ignore' });
    spawnSync('/usr/bin/docker', ['builder', 'prune', '-af'], { env: dockerEnv, stdio: 'ignore' });
    sync();
  };
  const times: number[] = [];
  if (m !== 'cold') await build();
  for (let i = 0; i < n; i++) {
    if (m === 'cold') clean();
    if (m === 'touch' || m === 'edit') await prepareChange(ctxDir, c.editFile!, m);
    times.push(await build());
  }
  return times;
}

// ---- main ----

interface Row {
  readonly c: string;
  readonly m: Mode;
  readonly ours: number;
  readonly theirs?: number;
}

async function main(): Promise<void> {
  console.error('generating contexts…');
  execFileSync(join(here, 'gen-contexts.sh'), { env: { ...process.env, TSBUILD_BENCH_DATA: data }, stdio: ['ignore', 'ignore', 'inherit'] });
  // gen-contexts copies the shared cases' Dockerfiles; ours name the seeded `busybox`.
  for (const c of cases) await copyFile(join(here, 'cases', c.name, 'Dockerfile'), join(data, c.ctx, 'Dockerfile'));
  console.error('seeding busybox…');
  await seed();

  const live = dockerAvailable();
  const recorded = peerFigures();
  const rows: Row[] = [];
  const liveTimes = new Map<string, number>();

  for (const c of cases) {
    const ctxDir = join(data, c.ctx);
    if (!c.modes.some((m) => selected(c, m))) continue;
    const args = ['build', '--progress=quiet', '-t', `bench-${c.name}`, ctxDir];
    let warm = false;
    try {
      for (const m of c.modes) {
        if (!selected(c, m)) continue;
        const times: number[] = [];
        if (m === 'cold') {
          for (let i = 0; i < runs; i++) {
            await freshRoot();
            times.push(await tsbuild(runRoot, args));
          }
          warm = true;
        } else if (m === 'watch') {
          if (!warm) await freshRoot();
          times.push(...(await watchLatencies(c, ctxDir, runs)));
          await prepareChange(ctxDir, c.editFile!, 'restore');
          warm = true;
        } else {
          if (!warm) {
            await freshRoot();
            await tsbuild(runRoot, args);
            warm = true;
          }
          if (m === 'nochange') await tsbuild(runRoot, args); // warm-up, as hyperfine -w 1
          for (let i = 0; i < runs; i++) {
            if (m === 'touch' || m === 'edit') await prepareChange(ctxDir, c.editFile!, m);
            times.push(await tsbuild(runRoot, args));
          }
        }
        const ours = median(times);
        let theirs: number | undefined;
        if (live) {
          const d = await dockerTimes(c, m, ctxDir, runs);
          if (d) liveTimes.set(`${c.name} ${m}`, (theirs = median(d)));
        } else theirs = recorded.seconds.get(`${c.name} ${m}`);
        rows.push({ c: c.name, m, ours, ...(theirs !== undefined ? { theirs } : {}) });
        console.error(`  ${c.name} ${m}: ${times.map((t) => t.toFixed(3)).join(' ')}`);
      }
    } finally {
      if (c.editFile) await prepareChange(ctxDir, c.editFile, 'restore');
    }
  }
  if (!keep) await rm(runRoot, { recursive: true, force: true });

  console.log(`\ntsbuild: median of ${runs} run(s), CLI process per build, --progress=quiet`);
  console.log(`BuildKit: ${live ? `docker build (BuildKit) timed in this run, median of ${runs}` : `${recorded.source} (no docker daemon here)`}\n`);
  const header = ['case', 'mode', 'tsbuild s', 'BuildKit s', 'ratio', 'target', ''];
  const table = rows.map((r) => {
    const t = targets[`${r.c} ${r.m}`];
    const ratio = r.theirs !== undefined ? r.ours / r.theirs : undefined;
    let ok = '';
    let target = '–';
    if (t?.ratio !== undefined) {
      target = `≤ ${t.ratio}×`;
      if (ratio !== undefined) ok = ratio <= t.ratio ? '✔' : '✘';
    } else if (t?.seconds !== undefined) {
      target = `≤ ${t.seconds} s`;
      ok = r.ours <= t.seconds ? '✔' : '✘';
    }
    return [r.c, r.m, r.ours.toFixed(3), r.theirs !== undefined ? r.theirs.toFixed(2) : '–', ratio !== undefined ? `${ratio.toFixed(2)}×` : '–', target, ok];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(fmt(header));
  console.log(fmt(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(fmt(row));
}

await main();
