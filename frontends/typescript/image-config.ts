// The image config of a build program's result: what its `image` export says, and otherwise
// what the final state implies (env, working dir, user), as the Dockerfile frontend does.
import { DEFAULT_PATH, type ImageSpec, type Platform, type State } from '../../llb/index.ts';
import type { ContainerConfig, ImageConfig } from '../../oci/index.ts';

const set = (xs: readonly (string | number)[] | undefined) =>
  xs?.length ? Object.fromEntries(xs.map((x) => [typeof x === 'number' || !x.includes('/') ? `${x}/tcp` : x, {}])) : undefined;

export function imageConfigFor(state: State, spec: ImageSpec | undefined, platform: Platform): Partial<ImageConfig> {
  let env: string[] =
    spec?.env === undefined
      ? state.getEnv()
      : Array.isArray(spec.env)
        ? [...(spec.env as readonly string[])]
        : Object.entries(spec.env).map(([k, v]) => `${k}=${v}`);
  if (!env.some((e) => e.startsWith('PATH='))) env = [`PATH=${DEFAULT_PATH}`, ...env];
  const config: ContainerConfig = { Env: env };
  const workdir = spec?.workdir ?? state.getDir();
  if (workdir) config.WorkingDir = workdir;
  const user = spec?.user ?? state.getUser();
  if (user) config.User = user;
  if (spec?.entrypoint) config.Entrypoint = [...spec.entrypoint];
  if (spec?.cmd) config.Cmd = [...spec.cmd];
  if (spec?.labels) config.Labels = { ...spec.labels };
  const ports = set(spec?.exposedPorts);
  if (ports) config.ExposedPorts = ports;
  if (spec?.volumes?.length) config.Volumes = Object.fromEntries(spec.volumes.map((v) => [v, {}]));
  if (spec?.stopSignal) config.StopSignal = spec.stopSignal;
  const out: Partial<ImageConfig> = { architecture: platform.architecture ?? '', os: platform.os ?? 'linux', config };
  if (platform.variant) out.variant = platform.variant;
  return out;
}
