// The variables of a build: predefined platform ARGs, and proxy ARGs (which reach RUN through
// ProxyEnv, never through the environment, so they do not change cache keys). Frontend options
// that travel as build args (BUILDKIT_CACHE_MOUNT_NS, …) are read where they apply.
import type { Platform, ProxyEnv } from '../../../llb/index.ts';

export const proxyArgNames = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

export function formatPlatformArg(p: Platform): string {
  return [p.os ?? 'linux', p.architecture ?? '', p.variant].filter((x) => x).join('/');
}

/** BUILDPLATFORM, TARGETPLATFORM and their parts, plus TARGETSTAGE. */
export function platformArgs(build: Platform, target: Platform, targetStage: string): Map<string, string> {
  return new Map([
    ['BUILDPLATFORM', formatPlatformArg(build)],
    ['BUILDOS', build.os ?? 'linux'],
    ['BUILDOSVERSION', build.osVersion ?? ''],
    ['BUILDARCH', build.architecture ?? ''],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatformArg(target)],
    ['TARGETOS', target.os ?? 'linux'],
    ['TARGETOSVERSION', target.osVersion ?? ''],
    ['TARGETARCH', target.architecture ?? ''],
    ['TARGETVARIANT', target.variant ?? ''],
    ['TARGETSTAGE', targetStage],
  ]);
}

export function proxyEnvFrom(buildArgs: Readonly<Record<string, string>>): ProxyEnv | undefined {
  const pick = (upper: string) => buildArgs[upper] ?? buildArgs[upper.toLowerCase()];
  const env: ProxyEnv = {};
  const http = pick('HTTP_PROXY');
  const https = pick('HTTPS_PROXY');
  const ftp = pick('FTP_PROXY');
  const no = pick('NO_PROXY');
  const all = pick('ALL_PROXY');
  if (http) env.httpProxy = http;
  if (https) env.httpsProxy = https;
  if (ftp) env.ftpProxy = ftp;
  if (no) env.noProxy = no;
  if (all) env.allProxy = all;
  return Object.keys(env).length ? env : undefined;
}
