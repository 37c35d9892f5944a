import { describe, expect, it } from 'vitest';
import { InvalidReferenceError, parseReference, withDigest } from '../../oci/index.ts';

const D = `sha256:${'a'.repeat(64)}` as const;

describe('parseReference', () => {
  it.each([
    ['alpine', 'docker.io', 'library/alpine', 'latest', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['alpine:3.19', 'docker.io', 'library/alpine', '3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'],
    ['user/app', 'docker.io', 'user/app', 'latest', 'docker.io/user/app:latest', 'user/app:latest'],
    ['docker.io/library/busybox:1', 'docker.io', 'library/busybox', '1', 'docker.io/library/busybox:1', 'busybox:1'],
    ['index.docker.io/nginx', 'docker.io', 'library/nginx', 'latest', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['localhost/app', 'localhost', 'app', 'latest', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/a/b:v1', 'localhost:5000', 'a/b', 'v1', 'localhost:5000/a/b:v1', 'localhost:5000/a/b:v1'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', 'latest', '127.0.0.1:5000/x:latest', '127.0.0.1:5000/x:latest'],
    ['ghcr.io/o/r__x.y-z:t_1.2-3', 'ghcr.io', 'o/r__x.y-z', 't_1.2-3', 'ghcr.io/o/r__x.y-z:t_1.2-3', 'ghcr.io/o/r__x.y-z:t_1.2-3'],
    ['[::1]:5000/img', '[::1]:5000', 'img', 'latest', '[::1]:5000/img:latest', '[::1]:5000/img:latest'],
  ])('%s', (input, domain, path, tag, str, familiar) => {
    const r = parseReference(input);
    expect(r.domain).toBe(domain);
    expect(r.path).toBe(path);
    expect(r.tag).toBe(tag);
    expect(r.string).toBe(str);
    expect(r.familiar).toBe(familiar);
  });

  it('keeps digests, with and without a tag', () => {
    const a = parseReference(`alpine@${D}`);
    expect(a.tag).toBeUndefined();
    expect(a.digest).toBe(D);
    expect(a.string).toBe(`docker.io/library/alpine@${D}`);
    const b = parseReference(`host:5000/r:t@${D}`);
    expect([b.domain, b.path, b.tag, b.digest]).toEqual(['host:5000', 'r', 't', D]);
    expect(withDigest(parseReference('alpine'), D).string).toBe(`docker.io/library/alpine:latest@${D}`);
  });

  it.each([
    ['', 'empty'],
    ['Alpine', 'lowercase'],
    ['docker.io/Library/x', 'lowercase'],
    ['a:', 'invalid tag'],
    ['a:-x', 'invalid tag'],
    ['a@sha256:abc', 'invalid digest'],
    ['a@md5:abc', 'unsupported digest'],
    ['a//b', 'path component'],
    ['a/b-', 'path component'],
    ['_x', 'path component'],
    [`a/${'b'.repeat(260)}`, 'longer than'],
  ])('rejects %j', (input, reason) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(reason);
  });
});
