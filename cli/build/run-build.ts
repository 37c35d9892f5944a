// One build, end to end: frontend → definition → solve on the executor → exporters. The only
// place where the concrete parts meet; `solve`, `build` and watch mode all come through here.
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { basename, isAbsolute, relative } from 'node:path';
import { definitionFromBytes, hostPlatform, type Definition, type Digest, type Platform } from '../../llb/index.ts';
import { formatPlatform, type ImageConfig } from '../../oci/index.ts';
import { DiskCacheStore, loadDefinitions, solve, type SolveEvent, type SolveOutcome } from '../../solver/index.ts';
import { acquireBuildLock, createExecutor, type Executor } from '../../executor/build.ts';
import { callBuild, FrontendError } from '../../frontends/driver.ts';
import type { FrontendInput, FrontendResult } from '../../frontends/types.ts';
import { UserError } from '../errors.ts';
import type { SourceEvent } from '../progress/index.ts';
import { createFrontendContext } from './frontend-context.ts';
import { selectFrontend } from './frontend-select.ts';
import { defaultOutputs, exportResult, type ExportSummary } from './export-result.ts';
import type { BuildRequest } from './request.ts';
import { ownPaths } from './own-paths.ts';
import { sourceLinesFor } from './source-lines.ts';
import { recordAndExplain } from './explain-build.ts';
import { CacheExportError, exportCaches, importCaches, inlineCacheFor } from './cache-io.ts';

export interface BuildHooks {
  onEvent?(event: SolveEvent | SourceEvent): void;
  onWarning?(message: string): void;
  readonly signal?: AbortSignal;
  /** Where `-o -` writes (stdout). */
  readonly stdout?: Writable;
  /** What the builder can run, when it is not the local executor (a BuildKit daemon). */
  readonly capabilities?: FrontendInput['capabilities'];
}

export interface CompiledBuild {
  readonly definition: Definition;
  readonly frontend: string;
  readonly image?: Partial<ImageConfig>;
  /** Files the build description depends on (for watch mode). */
  readonly dependencies: readonly string[];
}

/** Why each step that ran was not cached (`--explain`): vertex name and reason, in build order. */
export type Explanations = readonly { readonly name: string; readonly reason: string }[];

export type BuildResult =
  | {
      readonly ok: true;
      readonly compiled: CompiledBuild;
      readonly outcome: SolveOutcome;
      readonly exported: ExportSummary;
      readonly explanations?: Explanations;
    }
  | { readonly ok: false; readonly message: string; readonly compiled?: CompiledBuild; readonly outcome?: SolveOutcome; readonly explanations?: Explanations };

/** An LLB definition given as a file: `tsbuild solve def.pb` (what `debug build-llb` writes). */
function tryDefinition(bytes: Uint8Array, file: string): Definition | undefined {
  if (/\.(ts|mts|js|json|ya?ml)$/i.test(file) || basename(file).toLowerCase().includes('dockerfile')) return undefined;
  // Zero bytes are the empty definition (scratch marshals to no ops), not an empty Dockerfile.
  if (bytes.length === 0) return { def: [] };
  // A text file is never a definition: its first byte would be a printable character, while a
  // Definition starts with field 1 (def), tag 0x0a.
  if (bytes[0] !== 0x0a) return undefined;
  try {
    return definitionFromBytes(bytes);
  } catch {
    return undefined;
  }
}

/** Runs the frontend (or reads a definition) without solving. */
export async function compileBuild(req: BuildRequest, executor: Pick<Executor, 'resolveImage'> | undefined, hooks: BuildHooks): Promise<CompiledBuild> {
  let source: Uint8Array;
  try {
    source = await readFile(req.file);
  } catch {
    throw new UserError(`cannot read ${req.file}: no such file (give a Dockerfile, a build.ts, or a directory holding one)`);
  }
  const definition = req.frontend ? undefined : tryDefinition(source, req.file);
  if (definition) return { definition, frontend: 'llb', dependencies: [req.file] };

  const { frontend } = await selectFrontend({ file: req.file, source, cwd: process.cwd(), ...(req.frontend ? { flag: req.frontend } : {}) });
  const ctx = createFrontendContext({
    contextDir: req.contextDir,
    async resolveImageConfig(ref: string, platform: Platform) {
      if (!executor) throw new UserError(`cannot resolve ${ref} offline`);
      const { image } = await executor.resolveImage(
        ref,
        { architecture: platform.architecture ?? '', os: platform.os ?? 'linux', ...(platform.variant ? { variant: platform.variant } : {}) },
        req.pull ? 'pull' : 'default',
      );
      return { ref: image.reference.string, digest: image.manifestDescriptor.digest, config: image.config };
    },
    warn(message, location) {
      hooks.onWarning?.(location ? `${location.file}:${location.line}: ${message}` : message);
    },
    signal: hooks.signal ?? new AbortController().signal,
  });
  const inContext = relative(req.contextDir, req.file);
  let result: FrontendResult;
  try {
    result = await callBuild(frontend, ctx, {
      filename: req.file,
      ...(inContext.startsWith('..') || isAbsolute(inContext) ? {} : { contextName: inContext }),
      source,
      buildArgs: req.buildArgs,
      platform: req.platform,
      buildPlatform: hostPlatform(),
      ...((req.platforms?.length ?? 0) > 1 ? { multiPlatform: true } : {}),
      noResolve: req.noResolve,
      ...(req.target !== undefined ? { target: req.target } : {}),
      ...(hooks.capabilities ? { capabilities: hooks.capabilities } : {}),
    });
  } catch (err) {
    // A failure carries what was read up to it, as a result does: watch mode watches both alike.
    throw err instanceof FrontendError ? err.withDependencies([req.file, ...ctx.filesRead()]) : err;
  }
  return {
    definition: result.definition,
    frontend: frontend.name,
    ...(result.image ? { image: result.image } : {}),
    dependencies: [...new Set([req.file, ...(result.dependencies ?? []), ...ctx.filesRead()])],
  };
}

export function openExecutor(req: BuildRequest): Promise<Executor> {
  return createExecutor({
    root: req.root,
    locals: { ...req.locals, context: req.contextDir },
    ownPaths: ownPaths(req),
    secrets: req.secrets,
    ssh: req.ssh,
    platform: formatPlatform({
      architecture: req.platform.architecture ?? '',
      os: req.platform.os ?? 'linux',
      ...(req.platform.variant ? { variant: req.platform.variant } : {}),
    }),
    pull: req.pull,
    defaultNetwork: req.network === 'none' ? 'none' : 'host',
    targetsReadAsFiles: req.outputs.some((o) => o.type === 'local' || o.type === 'tar'),
    ...(req.maxParallelism !== undefined ? { maxParallelism: req.maxParallelism } : {}),
    ...(process.env.TSBUILD_SNAPSHOTTER ? { snapshotter: process.env.TSBUILD_SNAPSHOTTER as 'overlayfs' | 'native' } : {}),
  });
}

/** Several platforms' compiles as one for watch mode: the first's graph, every file any of them read. */
function mergedForWatch(all: readonly CompiledBuild[]): CompiledBuild {
  const first = all[0]!;
  return all.length === 1 ? first : { ...first, dependencies: [...new Set(all.flatMap((c) => c.dependencies))] };
}

/** `--explain` per platform (each compared with the last build of that platform); a shared step is named once. */
async function explainTargets(
  req: BuildRequest,
  targets: readonly Platform[],
  compiled: readonly CompiledBuild[],
  outcome: SolveOutcome,
  executor: Executor,
): Promise<Explanations> {
  const out = new Map<string, Explanations[number]>();
  for (const [i, platform] of targets.entries()) {
    for (const e of await recordAndExplain({ ...req, platform }, compiled[i]!, outcome, executor)) out.set(`${e.name}\0${e.reason}`, e);
  }
  return [...out.values()];
}

/**
 * The whole build. Build failures come back as `{ ok: false }`; only bugs throw. `compile`
 * stands in for the frontend when the build is given as a State or a Definition (the
 * programmatic API) rather than as a file.
 */
export async function runBuild(req: BuildRequest, hooks: BuildHooks = {}, compile: typeof compileBuild = compileBuild): Promise<BuildResult> {
  if (req.builder) {
    const { runRemoteBuild } = await import('./remote-build.ts');
    return runRemoteBuild({ ...req, builder: req.builder }, hooks);
  }
  // While the lock is held `tsbuild prune` leaves the root alone; a prune already running is
  // waited for, so this build never reads half-collected state.
  const releaseLock = await acquireBuildLock(req.root, {
    onWait: (p) => hooks.onWarning?.(`waiting for tsbuild prune (pid ${p.pid}) to finish on ${req.root}`),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  let executor: Executor;
  let store: DiskCacheStore;
  try {
    executor = await openExecutor(req);
    try {
      store = new DiskCacheStore(req.root);
    } catch (e) {
      await executor.close();
      throw e;
    }
  } catch (e) {
    await releaseLock();
    throw e;
  }
  // Reading the cache manifests overlaps the frontend; the solve waits for both.
  const imported = req.cacheFrom?.length ? importCaches(executor, store, req.cacheFrom, hooks) : undefined;
  imported?.catch(() => {});
  try {
    // One compile per target platform; their definitions solve together, so a step they share
    // (a stage on $BUILDPLATFORM) is one vertex and runs once.
    const targets = req.platforms && req.platforms.length > 1 ? req.platforms : [req.platform];
    const warned = new Set<string>();
    const onWarning = (m: string) => void (warned.has(m) || (warned.add(m), hooks.onWarning?.(m)));
    const compiledAll = await Promise.all(targets.map((platform) => compile({ ...req, platform }, executor, { ...hooks, onWarning })));
    if (targets.length > 1 && compiledAll[0]!.frontend === 'llb') {
      throw new UserError(`${req.file} is an LLB definition, made for one platform: give one --platform, or build from its Dockerfile or build.ts`);
    }
    const compiled = mergedForWatch(compiledAll);
    for (const c of compiledAll) await executor.checkDefinition(c.definition);
    const definitions = compiledAll.map((c) => c.definition);
    await imported;
    const graph = loadDefinitions(definitions.length === 1 ? definitions[0]! : definitions);
    const sent = new Set<Digest>();
    // An image kept in the local store holds the steps' layers as they are: they are written
    // while a long step runs.
    const storesImage = defaultOutputs(req).some((o) => o.type === 'image' && o.store && !o.rewriteTimestamp);
    const prefetching = storesImage ? executor.prefetchingResolver(graph.targets.filter((t) => t !== undefined)) : undefined;
    const outcome = await solve(graph, {
      resolver: prefetching ?? executor.resolver,
      store,
      noCache: req.noCache,
      ...(req.maxParallelism !== undefined ? { maxParallelism: req.maxParallelism } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onEvent(event) {
        // A failed step's Dockerfile lines go to the progress output with it.
        if (event.type === 'vertex' && event.error && !sent.has(event.digest)) {
          sent.add(event.digest);
          const lines = definitions.map((d) => sourceLinesFor(d, event.digest)).find((l) => l !== undefined);
          if (lines) hooks.onEvent?.({ type: 'source', vertex: event.digest, sourceLines: lines });
        }
        hooks.onEvent?.(event);
      },
    });
    // Layers still queued are written now, on their thread, beside the rest of the export.
    prefetching?.flush();
    const explanations = req.explain ? await explainTargets(req, targets, compiledAll, outcome, executor) : undefined;
    if (!outcome.ok) return { ok: false, message: outcome.failure.message, compiled, outcome, explanations };
    const built = targets.map((platform, i) => ({ platform, compiled: compiledAll[i]!, result: outcome.results[i] }));
    const finals = built.map((b) => b.result);
    const inline = req.cacheTo?.length ? await inlineCacheFor(executor, store, outcome.vertices, finals, req.cacheTo, defaultOutputs(req), hooks) : undefined;
    const exported = await exportResult(executor, built, req, hooks, outcome.vertices, inline);
    if (req.cacheTo?.length) {
      try {
        await exportCaches(executor, store, outcome.vertices, finals, req.cacheTo, hooks);
      } catch (err) {
        if (err instanceof CacheExportError) return { ok: false, message: err.message, compiled, outcome, explanations };
        throw err;
      }
    }
    return { ok: true, compiled, outcome, exported, explanations };
  } finally {
    await imported?.catch(() => {});
    store.close();
    await executor.close();
    await releaseLock();
  }
}
