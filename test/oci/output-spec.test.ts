import { describe, expect, it } from 'vitest';
import { OutputSpecError, parseOutputSpec, splitCsv } from '../../oci/index.ts';

describe('parseOutputSpec', () => {
  it('reads shorthands', () => {
    expect(parseOutputSpec('out/dir')).toEqual({ type: 'local', dest: 'out/dir', rewriteTimestamp: false, sourceDateEpoch: undefined });
    expect(parseOutputSpec('-')).toMatchObject({ type: 'tar', dest: '-' });
  });

  it('reads oci/docker archives', () => {
    expect(parseOutputSpec('type=oci,dest=out.tar')).toMatchObject({
      type: 'oci',
      dest: 'out.tar',
      tar: true,
      compression: { type: 'gzip' },
      ociMediaTypes: true,
      names: [],
    });
    expect(parseOutputSpec('type=oci,dest=dir,tar=false,compression=zstd,compression-level=9')).toMatchObject({
      tar: false,
      compression: { type: 'zstd', level: 9 },
    });
    expect(parseOutputSpec('type=docker,dest=x.tar,name=app:1')).toMatchObject({ type: 'docker', names: ['app:1'], ociMediaTypes: false });
    expect(parseOutputSpec('type=oci,dest=o.tar,rewrite-timestamp=true,annotation.org.opencontainers.image.title=t')).toMatchObject({
      rewriteTimestamp: true,
      annotations: { 'org.opencontainers.image.title': 't' },
    });
  });

  it('reads image outputs, with quoted comma lists of names', () => {
    expect(parseOutputSpec('type=image,"name=a:1,b:2",push=true')).toMatchObject({
      type: 'image',
      names: ['a:1', 'b:2'],
      push: true,
      store: true,
      insecure: false,
    });
    expect(parseOutputSpec('type=registry,name=localhost:5000/x')).toMatchObject({ type: 'image', push: true });
    expect(parseOutputSpec('type=image,name=x,registry.insecure=true,compression=uncompressed')).toMatchObject({
      insecure: true,
      push: false,
      compression: { type: 'uncompressed' },
    });
    expect(splitCsv('a="b ""c""",d')).toEqual(['a=b "c"', 'd']);
  });

  it.each([
    ['dest=x', 'missing type='],
    ['type=zip,dest=x', 'unknown type "zip"'],
    ['type=oci', 'needs dest='],
    ['type=oci,dest=x,bogus=1', 'unknown option "bogus" for type=oci'],
    ['type=oci,dest=x,compression=lz4', 'compression=lz4'],
    ['type=oci,dest=x,compression=gzip,compression-level=10', 'out of range'],
    ['type=image,push=true', 'push=true needs name='],
    ['type=image,name=UPPER', 'lowercase'],
    ['type=oci,dest=x,tar=maybe', 'tar=maybe: expected true or false'],
    ['type=oci,dest=-,tar=false', 'tar=false writes a directory'],
    ['type=oci,dest=a,dest=b', 'given twice'],
  ])('rejects %j', (spec, msg) => {
    expect(() => parseOutputSpec(spec)).toThrow(OutputSpecError);
    expect(() => parseOutputSpec(spec)).toThrow(msg);
  });
});
