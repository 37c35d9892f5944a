import { describe, expect, it } from 'vitest';
import { formatPlatform, hostPlatform, NoMatchingPlatformError, parsePlatform, selectPlatform, type Descriptor } from '../../oci/index.ts';

const d = (n: string, platform?: Descriptor['platform']): Descriptor => ({
  mediaType: 'x',
  digest: `sha256:${n.repeat(64)}`,
  size: 1,
  ...(platform ? { platform } : {}),
});

describe('platforms', () => {
  it('maps the host to OCI names', () => {
    const p = hostPlatform();
    const expected: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64' };
    expect(p.os).toBe('linux');
    expect(p.architecture).toBe(expected[process.arch] ?? process.arch);
  });

  it('parses and normalises --platform values', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(formatPlatform(parsePlatform('linux/arm/v6'))).toBe('linux/arm/v6');
    expect(() => parsePlatform('linux//x')).toThrow('invalid platform');
  });

  it('selects from an index, skipping attestations, preferring exact arm variants', () => {
    const index = [
      d('a', { os: 'linux', architecture: 'amd64' }),
      d('b', { os: 'linux', architecture: 'arm', variant: 'v6' }),
      d('c', { os: 'linux', architecture: 'arm', variant: 'v7' }),
      d('e', { os: 'unknown', architecture: 'unknown' }),
      d('f', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    ];
    expect(selectPlatform(index, parsePlatform('linux/amd64')).digest).toBe(index[0]!.digest);
    expect(selectPlatform(index, parsePlatform('linux/arm/v7')).digest).toBe(index[2]!.digest);
    expect(
      selectPlatform(
        index.filter((x) => x !== index[2]),
        parsePlatform('linux/arm/v7'),
      ).digest,
    ).toBe(index[1]!.digest);
    expect(selectPlatform(index, parsePlatform('linux/arm64')).digest).toBe(index[4]!.digest);
    expect(() => selectPlatform(index, parsePlatform('linux/s390x'), 'img')).toThrow(NoMatchingPlatformError);
    expect(() => selectPlatform(index, parsePlatform('linux/s390x'), 'img')).toThrow('available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8');
  });
});
