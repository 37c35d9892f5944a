// Platforms as containerd normalizes them (`linux/amd64`, `linux/arm64`, `linux/arm/v7`).
import type { Platform } from './pb/types.ts';

export class PlatformError extends Error {
  override name = 'PlatformError';
}

const archAliases: Record<string, string> = {
  x64: 'amd64',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  ia32: '386',
  i386: '386',
  i686: '386',
  ppc64: 'ppc64le',
  mipsel: 'mipsle',
};

const knownOs = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'plan9', 'android', 'ios', 'js', 'wasip1']);

/**
 * Normalizes os/architecture/variant spellings as containerd does: x86_64 → amd64, aarch64 →
 * arm64 (variant v8 dropped), arm without a variant → arm/v7 (armhf v7, armel v6), amd64/v1 → amd64.
 */
export function normalizePlatform(p: Platform): Platform {
  const os = (p.os ?? 'linux').toLowerCase();
  const rawArch = (p.architecture ?? '').toLowerCase();
  const architecture = archAliases[rawArch] ?? rawArch;
  let variant = p.variant?.toLowerCase();
  if (rawArch === 'armhf' && variant === undefined) variant = 'v7';
  if (rawArch === 'armel' && variant === undefined) variant = 'v6';
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm') {
    if (variant === undefined || variant === '') variant = 'v7';
    else if (/^\d$/.test(variant)) variant = `v${variant}`;
  }
  if (architecture === 'amd64' && (variant === 'v1' || variant === '')) variant = undefined;
  const out: Platform = { architecture, os };
  if (variant) out.variant = variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  if (p.osFeatures?.length) out.osFeatures = [...p.osFeatures];
  return out;
}

/** Parses `os/arch[/variant]`; `arch` alone means linux, an OS alone this machine's architecture. */
export function parsePlatform(spec: string): Platform {
  const parts = spec.trim().split('/');
  if (parts.some((x) => x === '') || parts.length > 3) {
    throw new PlatformError(`invalid platform "${spec}": expected os/arch[/variant], like linux/amd64 or linux/arm/v7`);
  }
  if (parts.length === 1) {
    const only = parts[0]!.toLowerCase();
    if (knownOs.has(only)) return normalizePlatform({ os: only, architecture: hostPlatform().architecture! });
    return normalizePlatform({ os: 'linux', architecture: only });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

export function formatPlatform(p: Platform): string {
  return [p.os ?? 'linux', p.architecture ?? '', p.variant].filter((x) => x).join('/');
}

/** The platform of this machine, normalized (what BuildKit uses when none is given). */
export function hostPlatform(): Platform {
  let variant: string | undefined;
  if (process.arch === 'arm') {
    const v = (process.config.variables as Record<string, unknown>)['arm_version'];
    variant = typeof v === 'string' || typeof v === 'number' ? `v${v}` : 'v7';
  }
  return normalizePlatform({ os: process.platform === 'win32' ? 'windows' : process.platform, architecture: process.arch, ...(variant ? { variant } : {}) });
}
