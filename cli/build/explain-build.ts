// With --explain a build leaves a record of its steps and keys in the state dir (cli/explain); the next
// build of the same target compares against it to say why each step that ran was not cached.
import { formatPlatform } from '../../llb/index.ts';
import type { SolveOutcome } from '../../solver/index.ts';
import type { Executor } from '../../executor/index.ts';
import type { BuildRequest } from './request.ts';
import type { CompiledBuild, Explanations } from './run-build.ts';

export async function recordAndExplain(req: BuildRequest, compiled: CompiledBuild, outcome: SolveOutcome, executor: Executor): Promise<Explanations> {
  // Loaded only with --explain: builds without it do not pay for the module graph.
  const { explain, loadRecord, recordBuild, saveRecord, targetIdentity } = await import('../explain/index.ts');
  const identity = targetIdentity({ buildFile: req.file, ...(req.target ? { target: req.target } : {}), platform: formatPlatform(req.platform) });
  const [previous, current] = await Promise.all([
    loadRecord(req.root, identity),
    recordBuild({
      graph: compiled.definition,
      vertices: outcome.vertices,
      locals: { ...req.locals, context: req.contextDir },
      hasher: executor.hasher,
      noCache: req.noCache,
    }),
  ]);
  await saveRecord(req.root, identity, current);
  const reasons = explain(previous, current, { noCache: req.noCache });
  const out: { name: string; reason: string }[] = [];
  for (const v of current.vertices) {
    const reason = reasons.get(v.digest);
    // Local sources are read on every build; naming them each time is noise.
    if (reason === undefined || v.local !== undefined) continue;
    out.push({ name: v.name, reason });
  }
  return out;
}

export function printExplanations(explanations: Explanations | undefined, write: (s: string) => void): void {
  if (!explanations) return;
  if (explanations.length === 0) {
    write('explain: every step came from the cache\n');
    return;
  }
  for (const e of explanations) write(`explain: ${e.name}: ${e.reason}\n`);
}
