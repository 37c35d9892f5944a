// A frontend turns a build description into LLB. It is an object of named, typed hooks that the
// driver (frontends/driver.ts) calls; it sees the world only through FrontendContext.
import type { Definition, Platform, State } from '../llb/index.ts';
import type { ImageConfig } from '../oci/index.ts';

export interface FrontendInput {
  /** Path of the build description (Dockerfile, build.ts, …) as the user named it. */
  readonly filename: string;
  /**
   * The build file's path relative to the build context when it lies inside it (`Dockerfile`,
   * `docker/Dockerfile`): what messages show and what `<name>.dockerignore` is looked up as.
   */
  readonly contextName?: string;
  /** Its bytes. */
  readonly source: Uint8Array;
  /** `--target`. */
  readonly target?: string;
  /** `--build-arg` values, and frontend options. */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Target platform (default: the host's). */
  readonly platform: Platform;
  /** Platform of the machine that runs the build's steps (BUILDPLATFORM; default: the target). */
  readonly buildPlatform?: Platform;
  /** One of several platforms built at once: step names say which (`[linux/arm64 2/5] RUN …`). */
  readonly multiPlatform?: boolean;
  /** Skip base-image resolution: an empty config stands in (offline compile and lint). */
  readonly noResolve?: boolean;
  /**
   * What the builder can run, when it is not tsbuild's own executor (a BuildKit daemon):
   * `merge: false` makes COPY --link a plain copy, as BuildKit's Dockerfile frontend does.
   */
  readonly capabilities?: { readonly merge: boolean };
}

export interface ResolvedImageConfig {
  /** Canonical reference with the resolved manifest digest (`docker.io/library/x:tag@sha256:…`). */
  readonly ref: string;
  readonly digest?: string;
  readonly config: ImageConfig;
}

export interface FrontendContext {
  /** Reads a file of the build context (relative path), or undefined when it does not exist. */
  readContextFile(path: string): Promise<Uint8Array | undefined>;
  /** Resolves an image reference to its config for the given platform. */
  resolveImageConfig(ref: string, platform: Platform): Promise<ResolvedImageConfig>;
  /** A lint-style warning attached to a place in the build description. */
  warn(message: string, location?: { file: string; line: number }): void;
  readonly signal: AbortSignal;
}

export interface FrontendResult {
  /** The LLB state of the result, and its marshaled definition. */
  readonly state?: State;
  readonly definition: Definition;
  /** The image config of the result (env, cmd, history, …) without rootfs diff_ids filled. */
  readonly image?: Partial<ImageConfig>;
  /** Files the build description itself depends on (for watch mode): absolute paths. */
  readonly dependencies?: readonly string[];
}

export interface Frontend {
  readonly name: string;
  /** First frontend whose detect returns true handles the input (when none was named). */
  detect?(input: Pick<FrontendInput, 'filename' | 'source'>): boolean;
  /**
   * Compiles the input. A failure may say which files the build description had read so far
   * by throwing an error with `dependencies` (absolute paths, as in FrontendResult): watch mode
   * watches them, so that the edit that fixes the failure rebuilds.
   */
  build(ctx: FrontendContext, input: FrontendInput): Promise<FrontendResult>;
}
