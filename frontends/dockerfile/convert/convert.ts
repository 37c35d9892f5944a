// Dockerfile → LLB. Parse, type the instructions, pick the stages the target needs, resolve
// their base images in parallel, then dispatch each needed stage's instructions into States
// (cheap: nothing runs here). Stage-level parallelism comes later, from the solver: independent
// stages are disjoint subgraphs.
import {
  AsyncMemo,
  CUSTOM_NAME,
  image as imageSource,
  marshal,
  normalizePlatform,
  scratch,
  type Definition,
  type Platform,
  type State,
} from '../../../llb/index.ts';
import type { ImageConfig } from '../../../oci/index.ts';
import { DockerfileError } from '../errors.ts';
import { isStage, locate, locateAsync, parseInstruction, parseInstructions, type Command, type Stage } from '../instructions/index.ts';
import { parseDockerfile, type DockerfileAst } from '../parser/index.ts';
import { processWord, type EnvLookup } from '../shell/index.ts';
import { formatPlatformArg, platformArgs } from './build-args.ts';
import type { ConvertOptions } from './context.ts';
import { dispatchCommand } from './dispatch.ts';
import type { DispatchState, ImageDraft } from './dispatch-state.ts';
import { envFromStrings } from './env-list.ts';
import { csvFields } from '../instructions/index.ts';
import { findStage, reachable, resolveTarget } from './stages.ts';
import { normalizeRef, parsePlatformArg, platformOf } from './platform.ts';

export interface ConvertResult {
  readonly state: State;
  readonly definition: Definition;
  readonly image: ImageConfig;
  readonly ast: DockerfileAst;
  /** Name of the target stage ('' when unnamed). */
  readonly targetStage: string;
}

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface BaseInfo {
  /** Expanded base name. */
  readonly name: string;
  readonly platform: Platform;
  /** Index of the stage it builds on, or undefined for an image / scratch. */
  readonly stage?: number;
  readonly scratch: boolean;
}

/** The compiler's shared state across stages. */
export interface Converter {
  readonly opts: ConvertOptions;
  readonly ast: DockerfileAst;
  readonly stages: readonly Stage[];
  readonly states: (DispatchState | undefined)[];
  /** Global ARG values (meta args + predefined), for FROM lines and bare stage ARGs. */
  readonly metaArgs: Map<string, string>;
  readonly locations: Map<string, { start: number; end: number }>;
  /** Dispatches (if not yet) and returns an earlier stage. */
  stage(index: number): Promise<DispatchState>;
  context(): State;
  resolveImage(ref: string, platform: Platform): Promise<{ ref: string; config: ImageConfig } | undefined>;
  fail(node: { startLine: number; endLine: number }, message: string): never;
}

const mapLookup = (m: ReadonlyMap<string, string>): EnvLookup => ({ get: (k) => m.get(k) });

export async function convertDockerfile(opts: ConvertOptions, contextFactory: () => State): Promise<ConvertResult> {
  const ast = parseDockerfile(opts.source, opts.filename);
  const parsed = parseInstructions(ast);
  const { stages } = parsed;
  const file = opts.filename;
  const escapeToken = ast.escapeToken;
  const fail = (node: { startLine: number; endLine: number }, message: string): never => {
    throw new DockerfileError(message, { file, line: node.startLine, endLine: node.endLine });
  };

  const targetIndex = resolveTarget(stages, opts.target, file);
  const targetPlatform = opts.platform;
  const buildPlatform = opts.buildPlatform ?? opts.platform;

  // Global scope: predefined platform args, then ARGs before the first FROM (build args win).
  const metaArgs = platformArgs(buildPlatform, targetPlatform, stages[targetIndex]?.name ?? '');
  for (const cmd of parsed.metaArgs) {
    locate(file, cmd.node, () => {
      for (const a of cmd.args) {
        const override = opts.buildArgs[a.key];
        if (override !== undefined) metaArgs.set(a.key, override);
        else if (a.value !== undefined) {
          metaArgs.set(a.key, processWord(a.value, mapLookup(metaArgs), { escapeToken }).result);
        }
      }
    });
  }
  const expandMeta = (word: string) => processWord(word, mapLookup(metaArgs), { escapeToken });

  // Bases of all stages: FROM <earlier stage>, scratch, or an image.
  const bases: BaseInfo[] = stages.map((s, i) =>
    locate(file, s.node, () => {
      const expanded = expandMeta(s.baseName);
      const name = expanded.result;
      if (name.trim() === '') {
        const missing = [...expanded.unmatched];
        fail(
          s.node,
          `base name (${s.baseName}) should not be blank` +
            (missing.length ? `: ${missing.join(', ')} has no value; pass --build-arg ${missing[0]}=<image> or give the ARG a default` : ''),
        );
      }
      const platform = s.platform ? parsePlatformArg(expandMeta(s.platform).result) : targetPlatform;
      const stage = findStage(stages, name, i);
      if (stage === undefined && name.toLowerCase() !== 'scratch') normalizeRef(name);
      return { name, platform, stage, scratch: stage === undefined && name.toLowerCase() === 'scratch' };
    }),
  );

  // Triggers (ONBUILD of the base) are prepended to a stage's commands once its base is known.
  const commands: Command[][] = stages.map((s) => [...s.commands]);
  const triggersDone = new Set<number>();
  const resolved = new AsyncMemo<string, { ref: string; config: ImageConfig } | undefined>();
  const resolveImage = (ref: string, platform: Platform) =>
    resolved.get(`${ref}|${platform.os}/${platform.architecture}/${platform.variant ?? ''}`, async () =>
      opts.noResolve || !opts.resolveImageConfig ? undefined : opts.resolveImageConfig(normalizeRef(ref), platform),
    );

  const stageDeps = (i: number): Set<number> => {
    const out = new Set<number>();
    const b = bases[i] as BaseInfo;
    if (b.stage !== undefined) out.add(b.stage);
    for (const c of commands[i] as Command[]) {
      const refs: string[] = [];
      if (c.kind === 'copy' && c.from) refs.push(c.from);
      if (c.kind === 'run') {
        for (const m of c.mounts) {
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
          name = expandMeta(r).result;
        } catch {
          // reported at dispatch
        }
        const dep = findStage(stages, name, i);
        if (dep !== undefined) out.add(dep);
      }
    }
    return out;
  };

  const onbuildOf = (i: number): string[] => (commands[i] as Command[]).flatMap((c) => (c.kind === 'onbuild' ? [c.expression] : []));

  // Reachable set, growing as triggers add dependencies.
  for (;;) {
    const deps = new Map<number, Set<number>>();
    for (let i = 0; i < stages.length; i++) deps.set(i, stageDeps(i));
    const next = reachable(targetIndex, deps);
    // all base images of needed stages, resolved in parallel
    await Promise.all(
      [...next].flatMap((i) => {
        const b = bases[i] as BaseInfo;
        return b.stage === undefined && !b.scratch ? [resolveImage(b.name, b.platform)] : [];
      }),
    );
    let added = false;
    for (const i of [...next].sort((a, b) => a - b)) {
      if (triggersDone.has(i)) continue;
      triggersDone.add(i);
      const b = bases[i] as BaseInfo;
      const s = stages[i] as Stage;
      let triggers: string[] = [];
      if (b.stage !== undefined) triggers = onbuildOf(b.stage);
      else if (!b.scratch) triggers = (await resolveImage(b.name, b.platform))?.config.config?.OnBuild ?? [];
      if (triggers.length === 0) continue;
      const parsedTriggers = triggers.map((t) =>
        locate(file, s.node, () => {
          const node = parseDockerfile(t, file).instructions[0];
          if (!node) return fail(s.node, `empty ONBUILD trigger in base ${b.name}`);
          const cmd = parseInstruction({ ...node, startLine: s.node.startLine, endLine: s.node.endLine }, file);
          if (isStage(cmd)) return fail(s.node, `FROM isn't allowed as an ONBUILD trigger (from base ${b.name})`);
          return cmd;
        }),
      );
      commands[i] = [...parsedTriggers, ...(commands[i] as Command[])];
      added = true;
    }
    if (!added) break;
  }

  const single = stages.length === 1;
  const states: (DispatchState | undefined)[] = stages.map(() => undefined);
  const locations = new Map<string, { start: number; end: number }>();
  let contextState: State | undefined;
  const inFlight = new AsyncMemo<number, DispatchState>();

  const conv: Converter = {
    opts,
    ast,
    stages,
    states,
    metaArgs,
    locations,
    context: () => (contextState ??= contextFactory()),
    resolveImage,
    fail,
    stage: (index: number): Promise<DispatchState> => inFlight.get(index, dispatchStage),
  };

  async function dispatchStage(index: number): Promise<DispatchState> {
    const s = stages[index] as Stage;
    const b = bases[index] as BaseInfo;
    const stagePrefix = single ? '' : s.name || `stage-${index}`;
    const prefix = opts.multiPlatform
      ? [formatPlatformArg(b.stage !== undefined ? (await conv.stage(b.stage)).platform : b.platform), stagePrefix].filter((x) => x).join(' ')
      : stagePrefix;
    const cmds = commands[index] as Command[];
    const total = cmds.length + 1;
    const name = (i: number, text: string) => `[${prefix ? prefix + ' ' : ''}${i}/${total}] ${text}`;
    let d: DispatchState;
    if (b.stage !== undefined) {
      const parent = await conv.stage(b.stage);
      d = {
        index,
        stage: s,
        prefix,
        commands: cmds,
        state: parent.state,
        image: cloneImage(parent.image),
        env: parent.env,
        args: new Map(parent.args),
        workdir: parent.workdir,
        platform: parent.platform,
        cmdSet: false,
        cmdIndex: 1,
        dispatched: false,
      };
      // the parent's triggers ran here (prepended above); they are not inherited further
      d.image.config.OnBuild = undefined;
    } else {
      const platform = b.platform;
      let st: State;
      let image: ImageDraft;
      if (b.scratch) {
        st = scratch().platform(platform);
        image = { config: { Env: [DEFAULT_PATH_ENV] }, history: [] };
      } else {
        const res = await resolveImage(b.name, platform);
        if (res) warnOtherPlatform(opts, b.name, res.config, platform, s.node.startLine);
        const ref = res?.ref ?? normalizeRef(b.name);
        const label = name(1, `FROM ${ref}`);
        locations.set(label, { start: s.node.startLine, end: s.node.endLine });
        st = imageSource(ref, { platform, customName: label });
        const cfg = res?.config;
        image = {
          config: structuredClone(cfg?.config ?? {}),
          history: structuredClone(cfg?.history ?? []),
          ...(cfg?.author ? { author: cfg.author } : {}),
        };
        if (!image.config.Env) image.config.Env = [DEFAULT_PATH_ENV];
        image.config.OnBuild = undefined;
      }
      const env = envFromStrings(image.config.Env);
      for (const [k, v] of env) st = st.env(k, v);
      const workdir = image.config.WorkingDir || '/';
      st = st.dir(workdir);
      if (image.config.User) st = st.user(image.config.User);
      d = {
        index,
        stage: s,
        prefix,
        commands: cmds,
        state: st.platform(platform),
        image,
        env,
        args: new Map(),
        workdir,
        platform: platformOf(platform),
        cmdSet: false,
        cmdIndex: 1,
        dispatched: false,
      };
    }
    states[index] = d;
    for (const cmd of cmds) {
      d.cmdIndex++;
      await locateAsync(file, cmd.node, () => dispatchCommand(conv, d, cmd, (text) => name(d.cmdIndex, text)));
    }
    d.dispatched = true;
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

/**
 * A base that is one image, not an index, is used whatever its platform (as BuildKit does); when
 * it is not the stage's platform the build says so, since its binaries may not run there.
 */
function warnOtherPlatform(opts: ConvertOptions, name: string, config: ImageConfig, wanted: Platform, line: number): void {
  if (!config.architecture || !config.os) return;
  const got = formatPlatformArg(
    normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }),
  );
  const want = formatPlatformArg(normalizePlatform(wanted));
  if (got === want) return;
  opts.warn?.(`base image ${name} is for platform ${got}, not ${want} that this stage builds for (it is a single image, not an index with ${want})`, {
    file: opts.filename,
    line,
  });
}

function cloneImage(img: ImageDraft): ImageDraft {
  return structuredClone(img);
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
