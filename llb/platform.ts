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
  ia32: '386',
  i386: '386',
  i686: '386',
  armhf: 'arm',
  armel: 'arm',
};

/** Normalizes os/architecture/variant spellings (x86_64 → amd64, arm64/v8 → arm64, arm → arm/v7). */
export function normalizePlatform(p: Platform): Platform {
  const os = (p.os ?? 'linux').toLowerCase();
  let architecture = (p.architecture ?? '').toLowerCase();
  architecture = archAliases[architecture] ?? architecture;
  let variant = p.variant?.toLowerCase();
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && (variant === undefined || variant === '' || variant === '7')) variant = 'v7';
  if (architecture === 'arm' && (variant === '5' || variant === '6' || variant === '8')) variant = `v${variant}`;
  const out: Platform = { architecture, os };
  if (variant) out.variant = variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  if (p.osFeatures?.length) out.osFeatures = [...p.osFeatures];
  return out;
}

/** Parses `os/arch[/variant]` (or just `arch`, meaning linux). */
export function parsePlatform(spec: string): Platform {
  const parts = spec.trim().split('/');
  if (parts.some((x) => x === '') || parts.length > 3) {
    throw new PlatformError(`invalid platform "${spec}": expected os/arch[/variant], like linux/amd64`);
  }
  if (parts.length === 1) return normalizePlatform({ os: 'linux', architecture: parts[0]! });
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

export function formatPlatform(p: Platform): string {
  return [p.os ?? 'linux', p.architecture ?? '', p.variant].filter((x) => x).join('/');
}

/** The platform of this machine, normalized (what BuildKit uses when none is given). */
export function hostPlatform(): Platform {
  return normalizePlatform({ os: process.platform === 'win32' ? 'windows' : process.platform, architecture: process.arch });
}
