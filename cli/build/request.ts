// One build, fully resolved from the command line: what `solve`, `build` and watch mode hand to
// the engine (run-build.ts).
import type { Platform } from '../../llb/index.ts';
import type { CacheSpec, OutputSpec } from '../../oci/index.ts';

export type SecretSource = { readonly file: string } | { readonly env: string };

export interface BuildRequest {
  /** Absolute path of the build description (Dockerfile, build.ts, plugin input, LLB definition). */
  readonly file: string;
  /** Absolute path of the build context (`local('context')`). */
  readonly contextDir: string;
  /** Other named local sources (`--local name=path`), absolute. */
  readonly locals: Readonly<Record<string, string>>;
  /** `--frontend name|path|package`. */
  readonly frontend?: string;
  readonly target?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly platform: Platform;
  /**
   * `--platform a,b`: every target platform, when more than one. Each is compiled and built (in
   * one solve) and the outputs hold an index of their images; `platform` is then the first.
   */
  readonly platforms?: readonly Platform[];
  /** Compile without resolving base images (an empty config stands in). */
  readonly noResolve: boolean;
  readonly noCache: boolean;
  /** Always ask the registry for base images. */
  readonly pull: boolean;
  readonly secrets: Readonly<Record<string, SecretSource>>;
  /** ssh id → agent socket path. */
  readonly ssh: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** `--network`: for RUN steps that do not choose one. */
  readonly network?: 'default' | 'none' | 'host';
  readonly outputs: readonly OutputSpec[];
  /** `--cache-from`: imported into the root's cache store before solving (a failure is a warning). */
  readonly cacheFrom?: readonly CacheSpec[];
  /** `--cache-to`: written after the outputs. */
  readonly cacheTo?: readonly CacheSpec[];
  /** `-t` names: the image exporter's names (and the local store's, by default). */
  readonly tags: readonly string[];
  readonly maxParallelism?: number;
  /**
   * `--explain`: record this build's steps, keys and context manifests, and compare with the
   * previous recorded build of the same target. Off by default: the manifest walk costs time.
   */
  readonly explain?: boolean;
  /** Waste warnings for the base image's bytes too (`--check-base`). */
  readonly checkBase?: boolean;
  /** List the base layers too, for the whole image's size (a `--fail-on-waste` ratio needs it). */
  readonly wasteImageSize?: boolean;
  /** `$TSBUILD_ROOT`. */
  readonly root: string;
  /** `--iidfile` and `--metadata-file`: written after the build, so never read or watched. */
  readonly iidfile?: string;
  readonly metadataFile?: string;
  /** `--builder`: solve on this BuildKit daemon instead of the local executor. */
  readonly builder?: {
    readonly address: string;
    readonly tlsCa?: string;
    readonly tlsCert?: string;
    readonly tlsKey?: string;
    readonly tlsServerName?: string;
  };
}

/** A request with nothing but a file, a context and a state root: no outputs, args or secrets. */
export function plainRequest(file: string, contextDir: string, root: string, platform: Platform): BuildRequest {
  return {
    file,
    contextDir,
    locals: {},
    buildArgs: {},
    platform,
    noResolve: false,
    noCache: false,
    pull: false,
    secrets: {},
    ssh: {},
    labels: {},
    outputs: [],
    tags: [],
    root,
  };
}
