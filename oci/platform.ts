// Platforms as OCI names them (`linux/amd64`, `linux/arm/v7`) and choosing one image out of an index.
import { NoMatchingPlatformError } from './errors.ts';
import type { Descriptor, OciPlatform } from './types.ts';

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

/** Normalises architecture and variant: aarch64 → arm64 (variant v8 dropped), arm without variant → v7. */
export function normalizePlatform(p: OciPlatform): OciPlatform {
  const rawArch = p.architecture.toLowerCase();
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
  const out: OciPlatform = { architecture, os: p.os.toLowerCase() };
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  if (p['os.features'] !== undefined) out['os.features'] = p['os.features'];
  if (variant !== undefined && variant !== '') out.variant = variant;
  return out;
}

/** The platform of this machine, as Node reports it, in OCI terms. */
export function hostPlatform(): OciPlatform {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  let variant: string | undefined;
  if (process.arch === 'arm') {
    const v = (process.config.variables as Record<string, unknown>)['arm_version'];
    variant = typeof v === 'string' || typeof v === 'number' ? `v${v}` : 'v7';
  }
  return normalizePlatform({ os, architecture: process.arch, ...(variant ? { variant } : {}) });
}

/** `linux/amd64`, `linux/arm/v7`, `arm64` (os linux), `linux` (host architecture). */
export function parsePlatform(spec: string): OciPlatform {
  const parts = spec.trim().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new TypeError(`invalid platform ${JSON.stringify(spec)}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`);
  }
  if (parts.length === 1) {
    const only = parts[0]!.toLowerCase();
    if (knownOs.has(only)) return normalizePlatform({ os: only, architecture: hostPlatform().architecture });
    return normalizePlatform({ os: 'linux', architecture: only });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform({ os, architecture, ...(variant !== undefined ? { variant } : {}) });
}

export function formatPlatform(p: OciPlatform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== '').join('/');
}

const armOrder = ['v5', 'v6', 'v7', 'v8'];

/**
 * How well `candidate` serves `wanted`: undefined when it cannot run; lower is better.
 * An arm/v7 machine also runs arm/v6 and v5 images, preferring the closest.
 */
export function platformScore(wanted: OciPlatform, candidate: OciPlatform): number | undefined {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return undefined;
  if (w.variant === c.variant) return 0;
  if (w.architecture === 'arm' && w.variant !== undefined && c.variant !== undefined) {
    const wi = armOrder.indexOf(w.variant);
    const ci = armOrder.indexOf(c.variant);
    if (wi >= 0 && ci >= 0 && ci <= wi) return wi - ci;
    return undefined;
  }
  if (c.variant === undefined) return 10;
  return undefined;
}

/** Picks the manifest for `wanted` out of an index's descriptors (attestations and unknown platforms are skipped). */
export function selectPlatform(manifests: readonly Descriptor[], wanted: OciPlatform, reference = 'image'): Descriptor {
  let best: { d: Descriptor; score: number } | undefined;
  for (const d of manifests) {
    if (!d.platform || d.platform.os === 'unknown') continue;
    const score = platformScore(wanted, d.platform);
    if (score !== undefined && (best === undefined || score < best.score)) best = { d, score };
  }
  if (!best) {
    const available = manifests.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => formatPlatform(d.platform!));
    throw new NoMatchingPlatformError(reference, formatPlatform(wanted), available);
  }
  return best.d;
}
