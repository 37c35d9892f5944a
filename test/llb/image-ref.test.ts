import { describe, expect, it } from 'vitest';
import { familiarImageRef, ImageRefError, normalizeImageRef, parseImageRef, parsePlatform, formatPlatform } from '../../llb/index.ts';

describe('normalizeImageRef', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
    ['ghcr.io/o/r@sha256:' + 'a'.repeat(64), 'ghcr.io/o/r@sha256:' + 'a'.repeat(64)],
    ['busybox:1@sha256:' + 'b'.repeat(64), 'docker.io/library/busybox:1@sha256:' + 'b'.repeat(64)],
  ])('%s → %s', (input, expected) => {
    expect(normalizeImageRef(input)).toBe(expected);
  });

  it.each(['', 'Busybox', 'a:b:c', 'app@sha256:xyz', 'a//b', 'x:-bad', 'a'.repeat(64).replace(/a/g, 'f')])('rejects %j', (ref) => {
    expect(() => normalizeImageRef(ref)).toThrow(ImageRefError);
  });

  it('splits parts and gives the familiar form', () => {
    const r = parseImageRef('busybox');
    expect(r).toMatchObject({ domain: 'docker.io', path: 'library/busybox', tag: 'latest', name: 'docker.io/library/busybox' });
    expect(familiarImageRef(r)).toBe('busybox:latest');
    expect(familiarImageRef(parseImageRef('localhost:5000/x:1'))).toBe('localhost:5000/x:1');
    expect(parseImageRef('busybox', { defaultTag: false }).tag).toBeUndefined();
  });
});

describe('platforms', () => {
  it('parses and normalizes', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(formatPlatform(parsePlatform('linux/arm/v6'))).toBe('linux/arm/v6');
    expect(() => parsePlatform('linux//')).toThrow(/invalid platform/);
  });
});
