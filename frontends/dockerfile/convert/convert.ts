// Dockerfile → LLB. Parse, type the instructions, pick the stages the target needs, resolve
// their base images in parallel, then dispatch each needed stage's instructions into States
// (cheap: nothing runs here). Stage-level parallelism comes later, from the solver: independent
// stages are disjoint subgraphs.
import { AsyncMemo, CUSTOM_NAME, marshal, type Definition, type Platform, type State } from '../../../llb/index.ts';
import type { ImageConfig } from '../../../oci/index.ts';
import { locateAsync, parseInstructions, type Stage } from '../instructions/index.ts';
import { parseDockerfile, type DockerfileAst } from '../parser/index.ts';
import { processWord } from '../shell/index.ts';
import { globalArgs, mapLookup, stageBases } from './bases.ts';
import { formatPlatformArg } from './build-args.ts';
import type { ConvertOptions } from './options.ts';
import { dispatchCommand } from './dispatch.ts';
import type { DispatchState } from './dispatch-state.ts';
import { normalizeRef } from './platform.ts';
import { stageStart } from './stage-start.ts';
import { resolveTarget } from './stages.ts';
import { withTriggers } from './triggers.ts';

export interface ConvertResult {
  readonly state: State;
  readonly definition: Definition;
  readonly image: ImageConfig;
  readonly ast: DockerfileAst;
  /** Name of the target stage ('' when unnamed). */
  readonly targetStage: string;
}

/** The compiler's shared state across stages. */
export interface Converter {
  readonly opts: ConvertOptions;
  readonly ast: DockerfileAst;
  readonly stages: readonly Stage[];
  /** Global ARG values (meta args + predefined), for FROM lines and bare stage ARGs. */
  readonly metaArgs: Map<string, string>;
  readonly locations: Map<string, { start: number; end: number }>;
  /** Dispatches (if not yet) and returns an earlier stage. */
  stage(index: number): Promise<DispatchState>;
  context(): State;
}

export async function convertDockerfile(opts: ConvertOptions, contextFactory: () => State): Promise<ConvertResult> {
  const ast = parseDockerfile(opts.source, opts.filename);
  const parsed = parseInstructions(ast);
  const { stages } = parsed;
  const file = opts.filename;
  const escapeToken = ast.escapeToken;
  const targetIndex = resolveTarget(stages, opts.target, file);
  const metaArgs = globalArgs(opts, parsed, stages[targetIndex]?.name ?? '', escapeToken);
  const expandMeta = (word: string) => processWord(word, mapLookup(metaArgs), { escapeToken });
  const bases = stageBases(stages, expandMeta, opts);

  const resolved = new AsyncMemo<string, { ref: string; config: ImageConfig } | undefined>();
  const resolveImage = (ref: string, platform: Platform) =>
    resolved.get(`${ref}|${platform.os}/${platform.architecture}/${platform.variant ?? ''}`, async () =>
      opts.noResolve || !opts.resolveImageConfig ? undefined : opts.resolveImageConfig(normalizeRef(ref), platform),
    );
  const commands = await withTriggers({ file, stages, bases, targetIndex, expandMeta, resolveImage });

  const single = stages.length === 1;
  const locations = new Map<string, { start: number; end: number }>();
  let contextState: State | undefined;
  const inFlight = new AsyncMemo<number, DispatchState>();
  const conv: Converter = {
    opts,
    ast,
    stages,
    metaArgs,
    locations,
    context: () => (contextState ??= contextFactory()),
    stage: (index: number): Promise<DispatchState> => inFlight.get(index, dispatchStage),
  };

  async function dispatchStage(index: number): Promise<DispatchState> {
    const s = stages[index]!;
    const b = bases[index]!;
    const parent = b.stage !== undefined ? await conv.stage(b.stage) : undefined;
    const stagePrefix = single ? '' : s.name || `stage-${index}`;
    const prefix = opts.multiPlatform ? [formatPlatformArg(parent?.platform ?? b.platform), stagePrefix].filter((x) => x).join(' ') : stagePrefix;
    const cmds = commands[index]!;
    const total = cmds.length + 1;
    const name = (i: number, text: string) => `[${prefix ? prefix + ' ' : ''}${i}/${total}] ${text}`;
    const fromImage = !parent && !b.scratch;
    const res = fromImage ? await resolveImage(b.name, b.platform) : undefined;
    const fromLabel = name(1, `FROM ${res?.ref ?? (fromImage ? normalizeRef(b.name) : b.name)}`);
    if (fromImage) locations.set(fromLabel, { start: s.node.startLine, end: s.node.endLine });
    const d = stageStart(opts, {
      index,
      stage: s,
      prefix,
      commands: cmds,
      base: b,
      fromLabel,
      ...(parent ? { parent } : {}),
      ...(res ? { resolved: res } : {}),
    });
    for (const cmd of cmds) {
      d.cmdIndex++;
      await locateAsync(file, cmd.node, () => dispatchCommand(conv, d, cmd, (text) => name(d.cmdIndex, text)));
    }
    return d;
  }

  const target = await conv.stage(targetIndex);
  const definition = withSourceMap(marshal(target.state, { platform: target.platform }), locations, opts);
  return {
    state: target.state,
    definition,
    image: finalImage(target),
    ast,
    targetStage: stages[targetIndex]?.name ?? '',
  };
}

function finalImage(d: DispatchState): ImageConfig {
  const p = d.platform;
  const config = { ...d.image.config };
  for (const k of Object.keys(config) as (keyof typeof config)[]) if (config[k] === undefined) delete config[k];
  return {
    architecture: p.architecture ?? '',
    os: p.os ?? 'linux',
    ...(p.variant ? { variant: p.variant } : {}),
    ...(d.image.author ? { author: d.image.author } : {}),
    config,
    rootfs: { type: 'layers', diff_ids: [] },
    history: d.image.history,
  };
}

/** Links each vertex to the Dockerfile lines that made it (Definition.source). */
function withSourceMap(def: Definition, locations: ReadonlyMap<string, { start: number; end: number }>, opts: ConvertOptions): Definition {
  const byDigest: NonNullable<NonNullable<Definition['source']>['locations']> = {};
  for (const [digest, md] of Object.entries(def.metadata ?? {})) {
    const label = md.description?.[CUSTOM_NAME];
    const loc = label === undefined ? undefined : locations.get(label);
    if (!loc) continue;
    byDigest[digest] = { locations: [{ sourceIndex: 0, ranges: [{ start: { line: loc.start }, end: { line: loc.end } }] }] };
  }
  if (Object.keys(byDigest).length === 0) return def;
  return {
    ...def,
    source: {
      locations: byDigest,
      infos: [{ filename: opts.filename, data: new TextEncoder().encode(opts.source), language: 'Dockerfile' }],
    },
  };
}
