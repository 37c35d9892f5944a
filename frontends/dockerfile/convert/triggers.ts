// ONBUILD: a stage whose base (an earlier stage, or an image whose config lists triggers) has
// ONBUILD instructions runs them first. They are known only once the base is resolved, and they
// may add dependencies on other stages, so the set of needed stages grows until it settles.
import type { Platform } from '../../../llb/index.ts';
import type { ImageConfig } from '../../../oci/index.ts';
import { DockerfileError } from '../errors.ts';
import { csvFields, isStage, locate, parseInstruction, type Command, type Stage } from '../instructions/index.ts';
import { parseDockerfile } from '../parser/index.ts';
import type { WordResult } from '../shell/index.ts';
import type { BaseInfo } from './bases.ts';
import { findStage, reachable } from './stages.ts';

export interface TriggerContext {
  readonly file: string;
  readonly stages: readonly Stage[];
  readonly bases: readonly BaseInfo[];
  readonly targetIndex: number;
  readonly expandMeta: (word: string) => WordResult;
  readonly resolveImage: (ref: string, platform: Platform) => Promise<{ ref: string; config: ImageConfig } | undefined>;
}

/** The stages stage `i` reads: its base stage, COPY --from and RUN --mount from= stages. */
function stageDeps(c: TriggerContext, commands: readonly Command[][], i: number): Set<number> {
  const out = new Set<number>();
  const b = c.bases[i]!;
  if (b.stage !== undefined) out.add(b.stage);
  for (const cmd of commands[i]!) {
    const refs: string[] = [];
    if (cmd.kind === 'copy' && cmd.from) refs.push(cmd.from);
    if (cmd.kind === 'run') {
      for (const m of cmd.mounts) {
        try {
          for (const f of csvFields(m)) if (f.toLowerCase().startsWith('from=')) refs.push(f.slice(5));
        } catch {
          // reported when the RUN is dispatched
        }
      }
    }
    for (const r of refs) {
      let name = r;
      try {
        name = c.expandMeta(r).result;
      } catch {
        // reported at dispatch
      }
      const dep = findStage(c.stages, name, i);
      if (dep !== undefined) out.add(dep);
    }
  }
  return out;
}

/**
 * Each stage's commands with its base's triggers in front. Base images of the needed stages are
 * resolved (in parallel) on the way, which is what the dispatch needs next anyway.
 */
export async function withTriggers(c: TriggerContext): Promise<Command[][]> {
  const commands: Command[][] = c.stages.map((s) => [...s.commands]);
  const done = new Set<number>();
  const onbuildOf = (i: number): string[] => commands[i]!.flatMap((cmd) => (cmd.kind === 'onbuild' ? [cmd.expression] : []));
  for (;;) {
    const deps = new Map<number, Set<number>>();
    for (let i = 0; i < c.stages.length; i++) deps.set(i, stageDeps(c, commands, i));
    const next = reachable(c.targetIndex, deps);
    await Promise.all(
      [...next].flatMap((i) => {
        const b = c.bases[i]!;
        return b.stage === undefined && !b.scratch ? [c.resolveImage(b.name, b.platform)] : [];
      }),
    );
    let added = false;
    for (const i of [...next].sort((a, b) => a - b)) {
      if (done.has(i)) continue;
      done.add(i);
      const b = c.bases[i]!;
      const s = c.stages[i]!;
      let triggers: string[] = [];
      if (b.stage !== undefined) triggers = onbuildOf(b.stage);
      else if (!b.scratch) triggers = (await c.resolveImage(b.name, b.platform))?.config.config?.OnBuild ?? [];
      if (triggers.length === 0) continue;
      const fail = (message: string): never => {
        throw new DockerfileError(message, { file: c.file, line: s.node.startLine, endLine: s.node.endLine });
      };
      const parsed = triggers.map((t) =>
        locate(c.file, s.node, () => {
          const node = parseDockerfile(t, c.file).instructions[0];
          if (!node) return fail(`empty ONBUILD trigger in base ${b.name}`);
          const cmd = parseInstruction({ ...node, startLine: s.node.startLine, endLine: s.node.endLine }, c.file);
          if (isStage(cmd)) return fail(`FROM isn't allowed as an ONBUILD trigger (from base ${b.name})`);
          return cmd;
        }),
      );
      commands[i] = [...parsed, ...commands[i]!];
      added = true;
    }
    if (!added) return commands;
  }
}
