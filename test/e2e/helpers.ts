// Reading what the CLI printed: BuildKit's plain progress format, per step.
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PlainStep {
  readonly id: number;
  readonly name: string;
  cached: boolean;
  done: boolean;
  error?: string;
  /** Output lines of the step (`#N 0.123 text`), without the timestamp. */
  readonly logs: string[];
}

/** Steps of a `--progress=plain` stream, in the order they first appear. */
export function parsePlain(stderr: string): PlainStep[] {
  const steps = new Map<number, PlainStep>();
  for (const line of stderr.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const id = Number(m[1]);
    const rest = m[2]!;
    let step = steps.get(id);
    if (!step) {
      step = { id, name: rest, cached: false, done: false, logs: [] };
      steps.set(id, step);
      continue;
    }
    if (rest === 'CACHED') step.cached = true;
    else if (/^DONE \d/.test(rest)) step.done = true;
    else if (rest.startsWith('ERROR')) step.error = rest;
    else {
      const log = /^\d+\.\d+ (.*)$/.exec(rest);
      if (log) step.logs.push(log[1]!);
    }
  }
  return [...steps.values()];
}

/** The step whose name contains `part` (exactly one must). */
export function step(steps: readonly PlainStep[], part: string): PlainStep {
  const found = steps.filter((s) => s.name.includes(part));
  if (found.length !== 1) throw new Error(`expected one step named like "${part}", found ${found.length}: ${steps.map((s) => s.name).join(' | ')}`);
  return found[0]!;
}

/** A private copy of a directory, for tests that edit it. */
export async function copyOf(dir: string): Promise<string> {
  const dest = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-ctx-'));
  await cp(dir, dest, { recursive: true });
  return dest;
}

export const APP_OUTPUT = ['hello from tsbuild-example on Linux', 'dependencies: is-number left-pad ', 'config: {"greeting":"hello"}'].join('\n');
