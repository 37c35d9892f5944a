// The contract between a build program (build.ts) and the TypeScript frontend, as types a
// program can import from 'tsbuild'.
import type { ImageSpec } from './image-spec.ts';
import type { Platform } from './pb/types.ts';
import type { LocalOptions } from './sources.ts';
import type { State } from './state.ts';

/** What a build program's exported function receives. */
export interface BuildContext {
  /** `--build-arg` values. */
  readonly buildArgs: Readonly<Record<string, string>>;
  /**
   * The target platform. With `--platform a,b` the program's function is called once per
   * platform, and each call's state is that platform's image.
   */
  readonly platform: Platform;
  /**
   * The platform of the machine running the build: a state on it runs natively (the
   * cross-compile pattern, `image(x, { platform: ctx.buildPlatform })`), and the same state for
   * every target platform is built once.
   */
  readonly buildPlatform: Platform;
  /** `--target`, when given. */
  readonly target: string | undefined;
  /** A directory of the build: `local('context')` is the build context. */
  local(name: string, opts?: LocalOptions): State;
}

/** What a build program exports: a State, or a State with its image config. */
export type BuildTarget = State | { readonly state: State; readonly image?: ImageSpec };

/** A target export may also be a function (possibly async) returning one. */
export type BuildProgramExport = BuildTarget | ((ctx: BuildContext) => BuildTarget | Promise<BuildTarget>);
