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
  /** The target platform. */
  readonly platform: Platform;
  /** `--target`, when given. */
  readonly target: string | undefined;
  /** A directory of the build: `local('context')` is the build context. */
  local(name: string, opts?: LocalOptions): State;
}

/** What a build program exports: a State, or a State with its image config. */
export type BuildTarget = State | { readonly state: State; readonly image?: ImageSpec };

/** A target export may also be a function (possibly async) returning one. */
export type BuildProgramExport = BuildTarget | ((ctx: BuildContext) => BuildTarget | Promise<BuildTarget>);
