// `--fail-on-waste VALUE`: a share of the image (`0.1`, `10%`) or an amount of bytes (`10MB`,
// `512KiB`, `2000000B`). A value with a byte unit is bytes; a bare number up to 1, or any
// percentage, is a ratio; a bare number above 1 is refused as ambiguous.
import { UsageError } from '../errors.ts';

export type WasteThreshold = { readonly kind: 'ratio'; readonly ratio: number } | { readonly kind: 'bytes'; readonly bytes: number };

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

export function parseWasteThreshold(flag: string, value: string): WasteThreshold {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%|[a-z]+)?\s*$/i.exec(value);
  const bad = (why: string) =>
    new UsageError(`invalid ${flag} "${value}": ${why}; give a ratio of the image size (0.1 or 10%) or an amount of bytes (10MB, 512KiB, 1000B)`);
  if (!m) throw bad('not a number');
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  if (unit === undefined) {
    if (n > 1) throw bad('a bare number above 1 is neither a ratio nor (without a unit) bytes');
    return { kind: 'ratio', ratio: n };
  }
  // Above 100% is allowed: inspect's wasted bytes count a deletion twice and may pass the size.
  if (unit === '%') return { kind: 'ratio', ratio: n / 100 };
  const mult = UNITS[unit];
  if (mult === undefined) throw bad(`unknown unit "${m[2]}"`);
  return { kind: 'bytes', bytes: Math.round(n * mult) };
}

/** Whether `wasted` bytes of an image of `size` bytes exceed the threshold (strictly). */
export function exceeds(t: WasteThreshold, wasted: number, size: number): boolean {
  if (t.kind === 'bytes') return wasted > t.bytes;
  return size > 0 && wasted / size > t.ratio;
}

export function describeThreshold(t: WasteThreshold): string {
  return t.kind === 'bytes' ? `${t.bytes} bytes` : `${+(t.ratio * 100).toFixed(4)}% of the image`;
}
