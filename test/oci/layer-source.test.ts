import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobLayerSource, closeGzipPool, MediaType, sha256, tarLayerSource, writeImage } from '../../oci/index.ts';
import { amd64, layerOf, makeTar, tempRoot, type TempRoot } from './helpers.ts';

let root: TempRoot;
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());
afterAll(() => closeGzipPool());

async function collect(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('layer sources', () => {
  it('tar layers: diff_id is the tar digest, blobs are memoised per compression', async () => {
    const tar = await makeTar([{ name: 'a.txt', content: 'A' }]);
    let opens = 0;
    const layer = tarLayerSource(root.content, { openTar: () => (opens++, Readable.from([tar])) });
    const gz = await layer.blob({ type: 'gzip' });
    expect(gz.mediaType).toBe(MediaType.ociLayerGzip);
    expect(await layer.diffID()).toBe(sha256(tar));
    expect(gunzipSync(await root.content.read(gz.digest)).equals(tar)).toBe(true);
    expect(await layer.blob({ type: 'gzip' })).toEqual(gz);
    const raw = await layer.blob({ type: 'uncompressed' });
    expect(raw.digest).toBe(sha256(tar));
    const zst = await layer.blob({ type: 'zstd' });
    expect(zst.mediaType).toBe(MediaType.ociLayerZstd);
    expect(opens).toBe(3);
    // a new source for the same layer (another process) finds the blob through the store's link
    const again = tarLayerSource(root.content, { openTar: () => (opens++, Readable.from([tar])), diffID: sha256(tar) });
    expect(await again.blob({ type: 'gzip' })).toEqual(gz);
    expect(opens).toBe(3);
  });

  it('files(): listed while a blob is made, then from the store by diff_id; otherwise one read gives listing and diff_id', async () => {
    const tar = await makeTar([
      { name: 'a.txt', content: 'A'.repeat(1000) },
      { name: '.wh.gone', content: '' },
    ]);
    const expected = {
      tarSize: tar.length,
      entries: [
        { path: 'a.txt', kind: 'file', size: 1000 },
        { path: 'gone', kind: 'whiteout', size: 0 },
      ],
    };
    let opens = 0;
    const layer = tarLayerSource(root.content, { openTar: () => (opens++, Readable.from([tar])) });
    await layer.blob({ type: 'gzip' });
    expect(await layer.files()).toEqual(expected);
    expect(opens).toBe(1);
    const again = tarLayerSource(root.content, { openTar: () => (opens++, Readable.from([tar])), diffID: sha256(tar) });
    expect(await again.files()).toEqual(expected);
    expect(opens).toBe(1);

    const other = await makeTar([{ name: 'b.txt', content: 'B' }]);
    let otherOpens = 0;
    const fresh = tarLayerSource(root.content, { openTar: () => (otherOpens++, Readable.from([other])) });
    expect((await fresh.files()).entries).toEqual([{ path: 'b.txt', kind: 'file', size: 1 }]);
    expect(await fresh.diffID()).toBe(sha256(other));
    expect(otherOpens).toBe(1);
  });

  it('blob layers keep their blob for the same compression and convert for others', async () => {
    const tar = await makeTar([{ name: 'b.txt', content: 'B' }]);
    const made = await layerOf(root.content, tar).blob({ type: 'gzip' });
    let fetched = 0;
    const layer = blobLayerSource(root.content, {
      descriptor: { ...made, mediaType: MediaType.dockerLayerGzip },
      diffID: sha256(tar),
      fetch: async () => void fetched++,
    });
    expect((await layer.blob({ type: 'gzip', level: 9 })).digest).toBe(made.digest);
    expect((await layer.blob({ type: 'uncompressed' })).digest).toBe(sha256(tar));
    expect((await collect(layer.openTar())).equals(tar)).toBe(true);
    expect(fetched).toBe(0);
    const missing = blobLayerSource(root.content, { descriptor: { mediaType: MediaType.ociLayer, digest: sha256('nope'), size: 4 }, diffID: sha256('nope') });
    await expect(collect(missing.openTar())).rejects.toThrow('is not in the content store');
  });

  it('the same link layer on two different bases is the same blob, byte for byte', async () => {
    const baseA = layerOf(root.content, await makeTar([{ name: 'etc/os', content: 'A' }]));
    const baseB = layerOf(root.content, await makeTar([{ name: 'etc/os', content: 'B' }]));
    const linkTar = await makeTar([{ name: 'app/bin', content: 'x'.repeat(100_000) }]);
    const one = await writeImage(
      root.content,
      { layers: [baseA, layerOf(root.content, linkTar)], config: { platform: amd64 } },
      { compression: { type: 'gzip' } },
    );
    const two = await writeImage(
      root.content,
      { layers: [baseB, layerOf(root.content, linkTar)], config: { platform: amd64 } },
      { compression: { type: 'gzip' } },
    );
    expect(one.layers[0]!.digest).not.toBe(two.layers[0]!.digest);
    expect(one.layers[1]).toEqual(two.layers[1]);
    // and a fresh store compresses the link layer to the very same bytes
    const other = await tempRoot();
    try {
      const three = await writeImage(
        other.content,
        { layers: [layerOf(other.content, linkTar)], config: { platform: amd64 } },
        { compression: { type: 'gzip' } },
      );
      expect(three.layers[0]).toEqual(one.layers[1]);
    } finally {
      await other.cleanup();
    }
  });
});
