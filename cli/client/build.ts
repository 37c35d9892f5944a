// `build()`: one build from a Node program, on the same engine as `tsbuild build` (run-build.ts).
//
//   const run = build({ file: 'Dockerfile', context: '.', outputs: ['type=oci,dest=app.tar'] });
//   for await (const event of run.events) …;        // optional: the events the CLI draws
//   const { imageDigest } = await run;              // BuildError / BuildInputError on failure
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { hostPlatform, marshal, parsePlatform, type Definition, type ImageSpec, type Platform, type State } from '../../llb/index.ts';
import { defaultRoot, parseOutputSpec, type OutputSpec } from '../../oci/index.ts';
import { FrontendError } from '../../frontends/driver.ts';
import { imageConfigFor } from '../../frontends/typescript/index.ts';
import {
  findBuildFile,
  runBuild,
  type BuildHooks,
  type BuildRequest,
  type BuildResult,
  type CompiledBuild,
  type ExportSummary,
  type SecretSource,
} from '../build/index.ts';
import { UsageError, UserError } from '../errors.ts';
import { BuildError, BuildInputError } from './errors.ts';
import { EventQueue, type BuildEvent } from './events.ts';

export interface BuildOptions {
  /** A Dockerfile, a build.ts, a directory holding one, or an LLB definition file. */
  readonly file?: string;
  /** Or a State made with the `tsbuild` API, with its image config… */
  readonly state?: State;
  readonly image?: ImageSpec;
  /** …or a marshaled Definition. Exactly one of file, state and definition is given. */
  readonly definition?: Definition;
  /** The build context (`local('context')`): default the file's directory, else the working directory. */
  readonly context?: string;
  /** Other named local sources (`--local name=path`). */
  readonly locals?: Readonly<Record<string, string>>;
  /** `--frontend name|path|package`. */
  readonly frontend?: string;
  readonly target?: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** `linux/amd64` and the like; default the host's. */
  readonly platform?: string;
  /** In `-o` syntax (`type=oci,dest=app.tar`); default `type=image` (the local image store). */
  readonly outputs?: readonly string[];
  /** Names for the image (`-t`). */
  readonly tags?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly secrets?: Readonly<Record<string, SecretSource>>;
  /** ssh id → agent socket path. */
  readonly ssh?: Readonly<Record<string, string>>;
  readonly network?: 'default' | 'none' | 'host';
  readonly noCache?: boolean;
  readonly pull?: boolean;
  readonly maxParallelism?: number;
  /** The state root; default `$TSBUILD_ROOT`, else `${XDG_DATA_HOME:-~/.local/share}/tsbuild`. */
  readonly root?: string;
  /** Where an output with `dest=-` writes its tar (none by default: such an output is refused). */
  readonly stdout?: Writable;
  /** Aborting cancels the build: it then rejects with a BuildError whose reason is `canceled`. */
  readonly signal?: AbortSignal;
  /** Receives every event as it happens (the same events as `events`). Must not throw. */
  readonly onEvent?: (event: BuildEvent) => void;
}

export interface BuildOutput extends ExportSummary {
  /** The frontend that compiled the build (`dockerfile`, `typescript`, `llb` for a Definition or State). */
  readonly frontend: string;
  /** What was solved. */
  readonly definition: Definition;
}

/** A running build: a promise of its output, with its events as an async iterable. */
export interface BuildRun extends Promise<BuildOutput> {
  /**
   * Every event of the build, in order, ending when the build does (whether it succeeded or
   * not; the promise says which). Events are kept from the moment this property is first read
   * (read it right after `build()` to have them all; unread, nothing is kept). One reader.
   */
  readonly events: AsyncIterable<BuildEvent>;
}

function outputsOf(specs: readonly string[]): OutputSpec[] {
  return specs.map((spec) => {
    try {
      return parseOutputSpec(spec);
    } catch (err) {
      throw new BuildInputError((err as Error).message, { cause: err });
    }
  });
}

function platformOption(platform: string | undefined): Platform {
  try {
    return platform === undefined ? hostPlatform() : parsePlatform(platform);
  } catch (err) {
    throw new BuildInputError((err as Error).message, { cause: err });
  }
}

/** Options → the request the engine runs, and how its definition is made. */
export function planBuild(opts: BuildOptions): { req: BuildRequest; compile?: () => CompiledBuild } {
  const given = [opts.file, opts.state, opts.definition].filter((x) => x !== undefined).length;
  if (given !== 1) throw new BuildInputError('give exactly one of file, state and definition');
  let file: string;
  let contextDir: string;
  if (opts.file !== undefined) {
    const target = resolve(opts.file);
    if (!existsSync(target)) throw new BuildInputError(`${opts.file}: no such file or directory`);
    file = statSync(target).isDirectory() ? findBuildFile(target) : target;
    contextDir = resolve(opts.context ?? dirname(file));
  } else {
    contextDir = resolve(opts.context ?? '.');
    // Names the build for `--explain`-style records and messages; never read.
    file = join(contextDir, opts.state ? '<state>' : '<definition>');
  }
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) throw new BuildInputError(`build context ${contextDir}: not a directory`);
  const platform = platformOption(opts.platform);
  const locals: Record<string, string> = {};
  for (const [name, path] of Object.entries(opts.locals ?? {})) locals[name] = resolve(path);
  const req: BuildRequest = {
    file,
    contextDir,
    locals,
    ...(opts.frontend ? { frontend: opts.frontend } : {}),
    ...(opts.target ? { target: opts.target } : {}),
    buildArgs: { ...opts.buildArgs },
    platform,
    noResolve: false,
    noCache: opts.noCache ?? false,
    pull: opts.pull ?? false,
    secrets: { ...opts.secrets },
    ssh: { ...opts.ssh },
    labels: { ...opts.labels },
    ...(opts.network ? { network: opts.network } : {}),
    outputs: outputsOf(opts.outputs ?? []),
    tags: [...(opts.tags ?? [])],
    ...(opts.maxParallelism !== undefined ? { maxParallelism: opts.maxParallelism } : {}),
    root: resolve(opts.root ?? defaultRoot()),
  };
  const { state, definition } = opts;
  if (state) {
    return {
      req,
      compile: () => ({
        definition: marshal(state, { platform }),
        frontend: 'llb',
        image: imageConfigFor(state, opts.image, state.getPlatform() ?? platform),
        dependencies: [],
      }),
    };
  }
  if (definition) return { req, compile: () => ({ definition, frontend: 'llb', dependencies: [] }) };
  return { req };
}

/** The engine's hooks for these options, sending every event to `emit`. */
export function hooksFor(opts: Pick<BuildOptions, 'stdout'>, emit: (event: BuildEvent) => void, signal: AbortSignal | undefined): BuildHooks {
  return {
    onEvent: emit,
    onWarning: (message) => emit({ type: 'frontend-warning', message }),
    ...(signal ? { signal } : {}),
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
  };
}

/** A user's mistake thrown by the engine, as the API's BuildInputError; anything else as is. */
export function asBuildError(err: unknown): unknown {
  return err instanceof UserError || err instanceof UsageError || err instanceof FrontendError ? new BuildInputError(err.message, { cause: err }) : err;
}

/** What a finished build gives a program; a failed one throws its BuildError or BuildInputError. */
export function outputOf(result: BuildResult): BuildOutput {
  if (!result.ok) {
    if (result.outcome && !result.outcome.ok) throw new BuildError(result.outcome.failure);
    throw new BuildInputError(result.message);
  }
  return { ...result.exported, frontend: result.compiled.frontend, definition: result.compiled.definition };
}

async function run(opts: BuildOptions, queue: EventQueue): Promise<BuildOutput> {
  const emit = (event: BuildEvent) => {
    queue.push(event);
    opts.onEvent?.(event);
  };
  let result: BuildResult;
  try {
    const { req, compile } = planBuild(opts);
    result = await runBuild(req, hooksFor(opts, emit, opts.signal), compile ? async () => compile() : undefined);
  } catch (err) {
    throw asBuildError(err);
  }
  return outputOf(result);
}

/**
 * Builds once. Resolves with what was exported (the image's digest, names, files written);
 * rejects with a BuildError when a step fails or the build is canceled, and a BuildInputError
 * when the input is wrong.
 */
export function build(opts: BuildOptions): BuildRun {
  const queue = new EventQueue();
  const done = run(opts, queue).finally(() => queue.end());
  return Object.defineProperty(done, 'events', {
    get: () => {
      // A reader awaits the build after the events end; until then its failure is not unhandled.
      if (!queue.kept) done.catch(() => {});
      queue.keep();
      return queue;
    },
  }) as BuildRun;
}
