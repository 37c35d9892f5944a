import { describe, expect, it } from 'vitest';
import { parseCacheSpec } from '../../../oci/index.ts';

describe('--cache-to / --cache-from', () => {
  it("reads buildx's registry grammar, with its defaults", () => {
    expect(parseCacheSpec('type=registry,ref=reg.example/app:cache', 'to')).toMatchObject({
      type: 'registry',
      ref: { string: 'reg.example/app:cache' },
      mode: 'min',
      compression: { type: 'gzip' },
      ociMediaTypes: true,
      imageManifest: true,
      ignoreError: false,
    });
    expect(parseCacheSpec('reg.example/app:cache', 'from')).toMatchObject({ type: 'registry', ref: { string: 'reg.example/app:cache' } });
    expect(parseCacheSpec('type=registry,ref=r.io/a,mode=max,compression=zstd,compression-level=5,ignore-error=true', 'to')).toMatchObject({
      mode: 'max',
      compression: { type: 'zstd', level: 5 },
      ignoreError: true,
    });
    expect(parseCacheSpec('type=registry,ref=r.io/a,oci-mediatypes=false', 'to')).toMatchObject({ ociMediaTypes: false, imageManifest: false });
  });

  it('reads local caches: dest= to export, src= to import, tag defaults to latest', () => {
    expect(parseCacheSpec('type=local,dest=/tmp/c', 'to')).toMatchObject({ type: 'local', dir: '/tmp/c', tag: 'latest' });
    expect(parseCacheSpec('type=local,src=/tmp/c,tag=v1', 'from')).toMatchObject({ type: 'local', dir: '/tmp/c', tag: 'v1' });
  });

  it('says what is wrong', () => {
    expect(() => parseCacheSpec('type=s3,bucket=x', 'to')).toThrow('invalid --cache-to "type=s3,bucket=x": unknown type "s3" (use registry, local or inline)');
    expect(() => parseCacheSpec('type=registry', 'to')).toThrow(/type=registry needs ref=REFERENCE/);
    expect(() => parseCacheSpec('type=local,src=/x', 'to')).toThrow(/type=local needs dest=DIR/);
    expect(() => parseCacheSpec('type=registry,ref=r.io/a,mode=all', 'to')).toThrow(/mode must be min or max/);
    expect(() => parseCacheSpec('type=registry,ref=r.io/a,colour=red', 'to')).toThrow(/unknown option "colour"/);
    expect(() => parseCacheSpec('type=registry,ref=r.io/a,oci-mediatypes=false,image-manifest=true', 'to')).toThrow(
      /image-manifest=true needs oci-mediatypes=true/,
    );
    expect(() => parseCacheSpec('type=registry,ref=UPPER/Case', 'from')).toThrow(/invalid --cache-from/);
    expect(() => parseCacheSpec('type=inline', 'from')).toThrow(/an inline cache is read with type=registry,ref=IMAGE/);
  });
});
