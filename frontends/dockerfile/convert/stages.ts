// Which stages a build needs: the target (`--target` or the last stage), and everything it
// reaches through FROM <stage>, COPY --from and RUN --mount from=. A name that is not an earlier
// stage is an image reference.
import { DockerfileError } from '../errors.ts';
import type { Stage } from '../instructions/index.ts';

/** Finds an earlier stage by name (case-insensitive) or by index. */
export function findStage(stages: readonly Stage[], name: string, before: number): number | undefined {
  const lower = name.toLowerCase();
  for (let i = 0; i < before; i++) if (stages[i]?.name === lower && lower !== '') return i;
  if (/^\d+$/.test(name)) {
    const i = Number(name);
    if (i < before) return i;
  }
  return undefined;
}

export function resolveTarget(stages: readonly Stage[], target: string | undefined, filename: string): number {
  if (target === undefined || target === '') return stages.length - 1;
  const i = stages.findIndex((s) => s.name === target.toLowerCase());
  if (i >= 0) return i;
  const names = stages.map((s) => s.name).filter((n) => n !== '');
  const last = stages[stages.length - 1] as Stage;
  throw new DockerfileError(
    `target stage ${JSON.stringify(target)} could not be found` +
      (names.length ? ` (stages: ${names.join(', ')})` : ' (no stage has a name: use FROM image AS name)'),
    { file: filename, line: last.node.startLine, endLine: last.node.endLine },
  );
}

/** Stage indexes reachable from `target`, given each stage's dependencies. */
export function reachable(target: number, deps: ReadonlyMap<number, ReadonlySet<number>>): Set<number> {
  const seen = new Set<number>();
  const stack = [target];
  while (stack.length) {
    const i = stack.pop() as number;
    if (seen.has(i)) continue;
    seen.add(i);
    for (const d of deps.get(i) ?? []) stack.push(d);
  }
  return seen;
}
