// The cache config: what tsbuild writes (deterministic, BuildKit's layout) and what it reads back,
// including configs written by BuildKit, which must import without error and without false hits.
import { describe, expect, it } from 'vitest';
import {
  buildCacheConfig,
  cacheManifest,
  CacheFormatError,
  parseCacheConfig,
  readCacheEntries,
  sha256,
  splitCacheManifest,
  type CacheEntry,
  type Descriptor,
} from '../../../oci/index.ts';

const gz = 'application/vnd.oci.image.layer.v1.tar+gzip';
const blob = (name: string, t = '2026-01-01T00:00:00.000Z') => ({
  descriptor: { mediaType: gz, digest: sha256(`blob ${name}`), size: name.length },
  diffID: sha256(`tar ${name}`),
  createdAt: t,
});
const key = (name: string) => sha256(`key ${name}`);

const base = blob('base', '2026-01-01T00:00:00.000Z');
const run = blob('run', '2026-01-01T00:00:01.000Z');
const copy = blob('copy', '2026-01-01T00:00:02.000Z');
const entries: CacheEntry[] = [
  { key: key('from'), createdAt: base.createdAt, chain: [base] },
  { key: key('run-def'), createdAt: run.createdAt, chain: [base, run] },
  { key: key('run-content'), createdAt: run.createdAt, chain: [base, run] },
  { key: key('copy'), createdAt: copy.createdAt, chain: [base, copy] },
];

function descriptors(built: ReturnType<typeof buildCacheConfig>): Descriptor[] {
  return [...built.blobs];
}

describe('cache config', () => {
  it('is a forest of layers with -1 for a bottom layer, one record per key', () => {
    const built = buildCacheConfig(entries);
    const layers = built.config.layers!;
    expect(layers.map((l) => l.blob).sort()).toEqual([base, run, copy].map((b) => b.descriptor.digest).sort());
    const baseIndex = layers.findIndex((l) => l.blob === base.descriptor.digest);
    expect(layers[baseIndex]!.parent).toBe(-1);
    for (const l of layers) if (l.blob !== base.descriptor.digest) expect(l.parent).toBe(baseIndex);
    expect(built.config.records!.map((r) => r.digest)).toEqual(entries.map((e) => e.key).sort());
    expect(built.blobs.map((b) => b.annotations!['containerd.io/uncompressed']).sort()).toEqual([base, run, copy].map((b) => b.diffID).sort());
    expect(built.blobs.every((b) => b.annotations!['buildkit/createdat'] !== undefined)).toBe(true);
  });

  it('gives the same bytes whatever order the entries come in', () => {
    const a = JSON.stringify(buildCacheConfig(entries));
    const b = JSON.stringify(buildCacheConfig([...entries].reverse()));
    expect(b).toBe(a);
  });

  it('reads back what it wrote: every key with its chain, bottom first', () => {
    const built = buildCacheConfig(entries);
    const back = readCacheEntries(parseCacheConfig(Buffer.from(JSON.stringify(built.config))), descriptors(built));
    const byKey = new Map(back.map((e) => [e.key, e.chain.map((b) => b.descriptor.digest)]));
    expect(byKey.get(key('run-content'))).toEqual([base.descriptor.digest, run.descriptor.digest]);
    expect(byKey.get(key('copy'))).toEqual([base.descriptor.digest, copy.descriptor.digest]);
    expect(back.find((e) => e.key === key('copy'))!.chain[1]!.diffID).toBe(copy.diffID);
  });

  it('imports a config as BuildKit writes it, keeping only stand-alone records', () => {
    // BuildKit links records by inputs and writes `parent` only when it is not 0; a merged result
    // is a list of chains. None of these may fail the import; linked records are skipped.
    const l0 = blob('bk0');
    const l1 = blob('bk1');
    const doc = {
      layers: [
        { blob: l0.descriptor.digest, parent: -1 },
        { blob: l1.descriptor.digest }, // parent 0
      ],
      records: [
        { digest: key('bk-root'), layers: [{ createdAt: '2026-02-02T00:00:00Z', layer: 1 }] },
        { digest: key('bk-linked'), inputs: [[{ selector: 'sha256:x', link: 0 }]], layers: [{ layer: 0 }] },
        { digest: key('bk-merged'), chains: [{ layers: [0, 1] }] },
        { digest: key('bk-noresult') },
      ],
    };
    const blobs: Descriptor[] = [l0, l1].map((b) => ({
      ...b.descriptor,
      annotations: { 'containerd.io/uncompressed': b.diffID, 'buildkit/createdat': b.createdAt },
    }));
    const back = readCacheEntries(parseCacheConfig(Buffer.from(JSON.stringify(doc))), blobs);
    expect(back.map((e) => e.key)).toEqual([key('bk-root')]);
    expect(back[0]!.chain.map((b) => b.descriptor.digest)).toEqual([l0.descriptor.digest, l1.descriptor.digest]);
  });

  it('skips a chain it cannot describe (no diff_id, a loop) and refuses what is not a cache config', () => {
    const l0 = blob('x');
    const loop = { layers: [{ blob: l0.descriptor.digest, parent: 0 }], records: [{ digest: key('loop'), layers: [{ layer: 0 }] }] };
    expect(readCacheEntries(parseCacheConfig(Buffer.from(JSON.stringify(loop))), [l0.descriptor])).toEqual([]);
    expect(() => parseCacheConfig(Buffer.from('[1,2]'))).toThrow(CacheFormatError);
    expect(() => parseCacheConfig(Buffer.from('{"layers":[{"blob":"nope"}]}'))).toThrow(/layer 0 has no blob digest/);
    expect(() => parseCacheConfig(Buffer.from('{"layers":[{"blob":"' + l0.descriptor.digest + '","parent":7}]}'))).toThrow(/bad parent/);
  });
});

describe('cache manifest', () => {
  const config: Descriptor = { mediaType: 'application/json', digest: sha256('config'), size: 6 };
  const blobs = [{ ...base.descriptor }];

  it('is an OCI image manifest with the cache config as config by default', () => {
    const m = cacheManifest(config, blobs, { imageManifest: true, ociMediaTypes: true });
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const split = splitCacheManifest(Buffer.from(JSON.stringify(m.doc)), 'm');
    expect(split.config).toMatchObject({ mediaType: 'application/vnd.buildkit.cacheconfig.v0', digest: config.digest });
    expect(split.blobs.map((b) => b.digest)).toEqual([base.descriptor.digest]);
  });

  it('or an index (OCI or Docker manifest list) listing the blobs and the config', () => {
    for (const ociMediaTypes of [true, false]) {
      const m = cacheManifest(config, blobs, { imageManifest: false, ociMediaTypes });
      expect(m.mediaType).toBe(ociMediaTypes ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json');
      const split = splitCacheManifest(Buffer.from(JSON.stringify(m.doc)), 'm');
      expect(split.config.digest).toBe(config.digest);
      expect(split.blobs.map((b) => b.digest)).toEqual([base.descriptor.digest]);
    }
  });

  it('refuses an image that is not a cache', () => {
    const image = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: [],
    };
    expect(() => splitCacheManifest(Buffer.from(JSON.stringify(image)), 'ref x')).toThrow(/ref x has config media type .* not a build cache/);
  });
});
