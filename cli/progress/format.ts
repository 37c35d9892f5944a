// Number formats shared by the renderers, chosen to read like BuildKit's progress output so
// users (and scripts that grep it) see familiar figures.

const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Binary multiples with BuildKit's unit names and at most two decimals: `37B`, `12.3MB`. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toFixed(2).replace(/\.?0+$/, '');
  return `${text}${units[unit]}`;
}

/** `current / total` when the total is known, else just the current amount, else nothing. */
export function formatProgress(current: number, total: number | undefined): string {
  if (total !== undefined && total !== 0) return `${formatBytes(current)} / ${formatBytes(total)}`;
  if (current !== 0) return formatBytes(current);
  return '';
}

/** Seconds with one decimal: `2.1s`. */
export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** A log line's offset from its step's start: 3, 2 or 1 decimals below 10 s, 100 s, and above. */
export function formatLogOffset(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  const digits = s < 10 ? 3 : s < 100 ? 2 : 1;
  return s.toFixed(digits);
}

/** RFC 3339 (UTC, millisecond precision) from epoch milliseconds. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
