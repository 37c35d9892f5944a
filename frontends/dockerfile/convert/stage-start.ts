// The state a stage starts from: a copy of an earlier stage's, or its base image (config, env,
// working directory, user) or scratch. A base that is one image of another platform is used, with
// a warning, as BuildKit does.
import { image as imageSource, normalizePlatform, scratch, type Platform, type State } from '../../../llb/index.ts';
import type { ImageConfig } from '../../../oci/index.ts';
import type { Command, Stage } from '../instructions/index.ts';
import type { BaseInfo } from './bases.ts';
import { formatPlatformArg } from './build-args.ts';
import type { DispatchState, ImageDraft } from './dispatch-state.ts';
import { envFromStrings } from './env-list.ts';
import type { ConvertOptions } from './options.ts';
import { normalizeRef } from './platform.ts';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StageStart {
  readonly index: number;
  readonly stage: Stage;
  readonly prefix: string;
  readonly commands: Command[];
  readonly base: BaseInfo;
  /** The dispatched stage it builds on, when its base is a stage. */
  readonly parent?: DispatchState;
  /** The resolved base image, when its base is one. */
  readonly resolved?: { ref: string; config: ImageConfig };
  /** The FROM step's name; recorded with the stage's lines for the source map. */
  readonly fromLabel: string;
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

export function stageStart(opts: ConvertOptions, s: StageStart): DispatchState {
  const common = { index: s.index, stage: s.stage, prefix: s.prefix, commands: s.commands, cmdSet: false, cmdIndex: 1 };
  if (s.parent) {
    const p = s.parent;
    const image = structuredClone(p.image);
    // the parent's triggers ran here (prepended to the commands); they are not inherited further
    image.config.OnBuild = undefined;
    return { ...common, state: p.state, image, env: p.env, args: new Map(p.args), workdir: p.workdir, platform: p.platform };
  }
  const platform = s.base.platform;
  let st: State;
  let image: ImageDraft;
  if (s.base.scratch) {
    st = scratch().platform(platform);
    image = { config: { Env: [DEFAULT_PATH_ENV] }, history: [] };
  } else {
    const res = s.resolved;
    if (res) warnOtherPlatform(opts, s.base.name, res.config, platform, s.stage.node.startLine);
    const ref = res?.ref ?? normalizeRef(s.base.name);
    st = imageSource(ref, { platform, customName: s.fromLabel });
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
  return { ...common, state: st.platform(platform), image, env, args: new Map(), workdir, platform: { ...platform } };
}
