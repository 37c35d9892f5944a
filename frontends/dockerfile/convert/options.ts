// What the converter is told: the Dockerfile, its target and arguments, the platforms, and the
// callbacks that reach the outside world (image configs, warnings).
import type { Platform } from '../../../llb/index.ts';
import type { ImageConfig } from '../../../oci/index.ts';

export interface ConvertOptions {
  /** Name of the Dockerfile as the user gave it (used in errors and source maps). */
  readonly filename: string;
  readonly source: string;
  readonly target?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Target platform. */
  readonly platform: Platform;
  /** Platform of the machine running the build (default: the target). */
  readonly buildPlatform?: Platform;
  /** Step names start with the stage's platform (`[linux/arm64 build 2/5]`), as with several targets. */
  readonly multiPlatform?: boolean;
  /** Skip base-image resolution; an empty config stands in. */
  readonly noResolve?: boolean;
  /** `false` when the builder has no MergeOp (a BuildKit daemon before v0.10): COPY --link copies in place. */
  readonly mergeOp?: boolean;
  readonly resolveImageConfig?: (ref: string, platform: Platform) => Promise<{ ref: string; config: ImageConfig }>;
  readonly warn?: (message: string, location?: { file: string; line: number }) => void;
}
