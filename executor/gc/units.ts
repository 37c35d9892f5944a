// Sizes and durations as users type them on the command line, with docker's meanings:
// `--keep-storage 10GB` counts in powers of 1024 (as `docker builder prune` does), durations are
// Go's (`24h`, `1h30m`, `90s`), and sizes are printed in powers of 1000 like `docker system df`.

export class UnitError extends Error {
  override name = 'UnitError';
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `512MB`, `10GB`, `1.5g`, `10GiB`, `4096` → bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new UnitError(`invalid size ${JSON.stringify(text)}: use bytes or a number with KB, MB, GB or TB (e.g. 512MB, 10GB)`);
  return Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`24h`, `1h30m`, `1.5h`, `90s`, `500ms`) → milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (end === 0 || end !== s.length) throw new UnitError(`invalid duration ${JSON.stringify(text)}: use Go durations such as 24h, 1h30m, 90s`);
  return total;
}

/**
 * The `until` of a prune filter as an epoch-ms cutoff: a duration back from `now`, an RFC 3339
 * time, or Unix seconds (what docker accepts).
 */
export function parseUntil(text: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(text.trim()) && text.trim() !== '0') return Number(text) * 1000;
  try {
    return now - parseDuration(text);
  } catch (e) {
    const t = Date.parse(text);
    if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(t)) return t;
    throw e;
  }
}

/** Bytes for people: `0B`, `512B`, `12.3kB`, `4.1MB`, `2.05GB` (powers of 1000, like docker). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return `${n}B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${units[i]}`;
}
