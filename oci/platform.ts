// Platforms as OCI names them (`linux/amd64`, `linux/arm/v7`) and choosing one image out of an index.
import {
  formatPlatform as llbFormat,
  hostPlatform as llbHost,
  normalizePlatform as llbNormalize,
  parsePlatform as llbParse,
  type Platform,
} from '../llb/index.ts';
import { NoMatchingPlatformError } from './errors.ts';
import type { Descriptor, OciPlatform } from './types.ts';

// The rules are llb's (one home for how platforms are spelled); these take and give OCI's shape.
function toLlb(p: OciPlatform): Platform {
  return {
    os: p.os,
    architecture: p.architecture,
    ...(p.variant !== undefined ? { variant: p.variant } : {}),
    ...(p['os.version'] !== undefined ? { osVersion: p['os.version'] } : {}),
    ...(p['os.features'] !== undefined ? { osFeatures: p['os.features'] } : {}),
  };
}

function toOci(p: Platform): OciPlatform {
  return {
    architecture: p.architecture ?? '',
    os: p.os ?? 'linux',
    ...(p.variant !== undefined ? { variant: p.variant } : {}),
    ...(p.osVersion !== undefined ? { 'os.version': p.osVersion } : {}),
    ...(p.osFeatures !== undefined ? { 'os.features': p.osFeatures } : {}),
  };
}

/** Normalises architecture and variant: aarch64 → arm64 (variant v8 dropped), arm without variant → v7. */
export function normalizePlatform(p: OciPlatform): OciPlatform {
  // An empty feature list stays as given: it is part of what an index says.
  const out = toOci(llbNormalize(toLlb(p)));
  return p['os.features'] !== undefined ? { ...out, 'os.features': p['os.features'] } : out;
}

/** The platform of this machine, as Node reports it, in OCI terms. */
export function hostPlatform(): OciPlatform {
  return toOci(llbHost());
}

/** `linux/amd64`, `linux/arm/v7`, `arm64` (os linux), `linux` (host architecture). */
export function parsePlatform(spec: string): OciPlatform {
  return toOci(llbParse(spec));
}

export function formatPlatform(p: OciPlatform): string {
  return llbFormat(toLlb(p));
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
