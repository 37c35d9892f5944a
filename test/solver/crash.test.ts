// A process solving with the disk store is SIGKILLed at random moments. Afterwards the store
// must open, every record must point at data that exists, and a rerun must complete.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskCacheStore, loadGraph, MemoryCacheStore, solve } from '../../solver/index.ts';
import { crashGraph } from './crash-graph.ts';
import { FakeResolver, type NumResult } from './fakes.ts';

const child = join(import.meta.dirname, 'crash-child.ts');
const root = mkdtempSync(join(tmpdir(), 'tsbuild-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Starts a child; once it reports `ready`, kills it after `killAfterMs` (undefined: let it finish). */
function runChild(seed: number, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--no-warnings', child, root, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (killAfterMs !== undefined && stdout.startsWith('ready')) {
        const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        proc.on('exit', () => clearTimeout(timer));
        killAfterMs = undefined;
      }
    });
    proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    proc.on('exit', (code, signal) => resolve({ code, signal, stdout }));
  });
}

async function checkStore(): Promise<number> {
  const db = new DatabaseSync(join(root, 'cache.db'));
  expect((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
  db.close();
  const store = new DiskCacheStore(root);
  const records = await store.list();
  store.close();
  for (const r of records) {
    const file = join(root, 'data', encodeURIComponent(r.resultId));
    expect(existsSync(file), `record ${r.key} points at missing data ${r.resultId}`).toBe(true);
    expect(Number.isFinite(Number(readFileSync(file, 'utf8')))).toBe(true);
  }
  return records.length;
}

async function expected(seed: number): Promise<number> {
  const { graph, target } = crashGraph(seed);
  const out = await solve(loadGraph(graph.input(target)), { resolver: new FakeResolver(), store: new MemoryCacheStore() });
  if (!out.ok) throw new Error(out.failure.message);
  return (out.results[0] as NumResult).value;
}

describe('disk store under SIGKILL', () => {
  it('survives 20 kills at random moments mid-solve, then a rerun completes', { timeout: 180_000 }, async () => {
    // Runs go on until 20 kills have landed during a solve (a run that finished before its kill
    // does not count), so a fast or a loaded machine tests the same thing.
    const wanted = 20;
    let killed = 0;
    const counts: number[] = [];
    for (let i = 0; killed < wanted && i < 120; i++) {
      // Each seed gets two runs: the second resumes what a killed first one left, or finds it
      // cached; new seeds keep fresh work coming so that kills keep landing mid-solve.
      const seed = Math.floor(i / 2);
      const run = await runChild(seed, Math.floor(Math.random() * 250));
      if (run.signal === 'SIGKILL') killed++;
      else expect(run.code).toBe(0);
      counts.push(await checkStore());
    }
    expect(killed).toBe(wanted);
    expect(counts[counts.length - 1]).toBeGreaterThan(0);

    for (const seed of [0, 5, 11]) {
      const run = await runChild(seed);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`done ${await expected(seed)}`);
    }
    await checkStore();
  });
});
