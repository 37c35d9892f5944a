import { describe, expect, test } from 'vitest';
import { formatBytes, parseDuration, parseSize, parseUntil, UnitError } from '../../../executor/index.ts';

describe('units', () => {
  test('sizes count in powers of 1024, like docker', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('512MB')).toBe(512 * 1024 ** 2);
    expect(parseSize('10GB')).toBe(10 * 1024 ** 3);
    expect(parseSize('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('2KiB')).toBe(2048);
    expect(() => parseSize('10 bananas')).toThrow(UnitError);
    expect(() => parseSize('-1GB')).toThrow(/invalid size/);
  });

  test('Go durations', () => {
    expect(parseDuration('24h')).toBe(24 * 3600_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('1.5h')).toBe(90 * 60_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('24')).toThrow(UnitError);
    expect(() => parseDuration('1d')).toThrow(/Go durations/);
    expect(() => parseDuration('1h junk')).toThrow(UnitError);
  });

  test('until: a duration back from now, a time, or Unix seconds', () => {
    const now = Date.UTC(2024, 0, 2);
    expect(parseUntil('24h', now)).toBe(Date.UTC(2024, 0, 1));
    expect(parseUntil('2023-12-31T00:00:00Z', now)).toBe(Date.UTC(2023, 11, 31));
    expect(parseUntil('1700000000', now)).toBe(1_700_000_000_000);
    expect(() => parseUntil('yesterday', now)).toThrow(UnitError);
  });

  test('bytes for people', () => {
    expect(formatBytes(0)).toBe('0B');
    expect(formatBytes(999)).toBe('999B');
    expect(formatBytes(12_345)).toBe('12.3kB');
    expect(formatBytes(4_100_000)).toBe('4.10MB');
    expect(formatBytes(250_000_000_000)).toBe('250GB');
  });
});
