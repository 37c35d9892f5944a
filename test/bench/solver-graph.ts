// Benchmark: solving generated graphs of 1,000 and 10,000 vertices, cold and fully cached, with
// the in-memory and the disk cache store. Prints vertices/second and peak RSS.
// Target (DESIGN.md): a fully cached 10,000-vertex graph in under 1 s and under 300 MB. A no-op
// rebuild is a fresh process, so that case is also measured in a child process of its own (the
// parent's peak RSS includes the cold solves).
//   node test/bench/solver-graph.ts [sizes...]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialProgressState, reduceProgress } from '../../cli/progress/index.ts';
import { DiskCacheStore, loadGraph, MemoryCacheStore, solve, type CacheStore, type LoadInput, type SolveEvent } from '../../solver/index.ts';
import { FakeGraph, FakeResolver, type Ref } from '../solver/fakes.ts';

/** A random DAG (fixed seed): 5% constants, the rest sums of 1–3 earlier vertices, one target over all sinks. */
function generate(n: number): LoadInput {
  let state = 0x2545f491;
  const rand = (k: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % k;
  };
  const g = new FakeGraph();
  const refs: Ref[] = [];
  const used = new Set<number>();
  const roots = Math.max(1, Math.floor(n * 0.05));
  for (let i = 0; i < n - 1; i++) {
    if (i < roots) {
      refs.push(g.const(`c${i}`, i));
      continue;
    }
    const ins = new Set<number>();
    const k = 1 + rand(3);
    // Mostly recent vertices: long chains as well as wide fan-in, like real build graphs.
    for (let j = 0; j < k; j++) ins.add(Math.max(0, i - 1 - rand(Math.min(i, 50))));
    for (const x of ins) used.add(x);
    refs.push(
      g.sum(
        `s${i}`,
        [...ins].map((x) => refs[x]!),
        { value: 1, content: i % 4 === 0 },
      ),
    );
  }
  const sinks = refs.filter((_, i) => !used.has(i));
  return g.input(g.sum('target', sinks));
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

async function measure(
  label: string,
  input: LoadInput,
  store: CacheStore,
  resolver: FakeResolver,
  expectCached: boolean,
  events?: SolveEvent[],
): Promise<number> {
  const t0 = performance.now();
  const graph = loadGraph(input);
  const t1 = performance.now();
  const outcome = await solve(graph, { resolver, store, ...(events ? { onEvent: (e: SolveEvent) => void events.push(e) } : {}) });
  const t2 = performance.now();
  if (!outcome.ok) throw new Error(outcome.failure.message);
  const statuses = new Map<string, number>();
  for (const v of outcome.vertices.values()) statuses.set(v.status, (statuses.get(v.status) ?? 0) + 1);
  const target = outcome.vertices.get(graph.targets[0]!.vertex.digest)!;
  if (expectCached !== (target.status === 'cached')) throw new Error(`${label}: target ${target.status}`);
  const n = graph.order.length;
  const secs = (t2 - t0) / 1000;
  console.log(
    `${label.padEnd(28)} ${n.toString().padStart(6)} vertices  load ${(t1 - t0).toFixed(0).padStart(5)} ms  solve ${(t2 - t1).toFixed(0).padStart(6)} ms  ` +
      `${Math.round(n / secs)
        .toString()
        .padStart(8)} vertices/s  peak RSS ${mb(process.resourceUsage().maxRSS)}  [${[...statuses].map(([s, c]) => `${s} ${c}`).join(', ')}]`,
  );
  return t2 - t0;
}

/**
 * What the progress view's reducer costs on the cold solve's events: the time per event should
 * not grow with the number of vertices (compare the 1,000 and 10,000 lines).
 */
function progressCost(n: number, events: readonly SolveEvent[]): void {
  const t0 = performance.now();
  let state = initialProgressState();
  for (const e of events) state = reduceProgress(state, e, 0);
  const ms = performance.now() - t0;
  if (state.total !== n) throw new Error(`progress saw ${state.total} vertices of ${n}`);
  console.log(
    `${'progress reducer'.padEnd(28)} ${n.toString().padStart(6)} vertices  ${events.length} events in ${ms.toFixed(0)} ms  ${((ms * 1000) / events.length).toFixed(1)} µs/event`,
  );
}

/** Result data that is always present: the fresh process has no in-memory data of the cold run. */
class AlwaysThere extends Map<string, number> {
  override get(): number {
    return 0;
  }
}

if (process.argv[2] === '--cached-child') {
  const n = Number(process.argv[3]);
  const store = new DiskCacheStore(process.argv[4]!);
  const ms = await measure('disk fully cached, fresh', generate(n), store, new FakeResolver(new AlwaysThere()), true);
  store.close();
  console.log(`RESULT ${ms} ${process.resourceUsage().maxRSS}`);
  process.exit(0);
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
for (const n of sizes.length ? sizes : [1_000, 10_000]) {
  const input = generate(n);
  for (const kind of ['memory', 'disk'] as const) {
    const root = mkdtempSync(join(tmpdir(), 'tsbuild-bench-'));
    const store = kind === 'memory' ? new MemoryCacheStore() : new DiskCacheStore(root);
    const resolver = new FakeResolver();
    const events: SolveEvent[] = [];
    await measure(`${kind} cold`, input, store, resolver, false, events);
    if (kind === 'memory') progressCost(n, events);
    await measure(`${kind} fully cached`, input, store, resolver, true);
    store.close();
    if (kind === 'disk') {
      const out = execFileSync(process.execPath, ['--no-warnings', import.meta.filename, '--cached-child', String(n), root], { encoding: 'utf8' });
      process.stdout.write(
        out
          .split('\n')
          .filter((l) => !l.startsWith('RESULT'))
          .join('\n'),
      );
      const [, ms, rss] = /RESULT (\S+) (\d+)/.exec(out)!;
      console.log(
        `  → ${n} vertices fully cached in a fresh process: ${(Number(ms) / 1000).toFixed(3)} s (${(Number(ms) / 1000).toFixed(2)}× the 1 s target), ` +
          `peak RSS ${mb(Number(rss))} (${(Number(rss) / 1024 / 300).toFixed(2)}× the 300 MB target)`,
      );
    }
    rmSync(root, { recursive: true, force: true });
  }
}
