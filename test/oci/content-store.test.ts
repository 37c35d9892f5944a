import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, DigestMismatchError, sha256 } from '../../oci/index.ts';
import { tempRoot, type TempRoot } from './helpers.ts';

let root: TempRoot;
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());

const listing = async (sub: string) => readdir(join(root.dir, 'content', sub)).catch(() => []);

describe('ContentStore', () => {
  it('ingests a stream under blobs/sha256/<hex> and reads it back', async () => {
    const data = Buffer.from('hello layers');
    const info = await root.content.ingest(Readable.from([data.subarray(0, 5), data.subarray(5)]), { digest: sha256(data), size: data.length });
    expect(info).toEqual({ digest: sha256(data), size: data.length });
    expect(root.content.blobPath(info.digest)).toBe(join(root.dir, 'content', 'blobs', 'sha256', sha256(data).slice(7)));
    expect((await root.content.read(info.digest)).toString()).toBe('hello layers');
    expect(await listing('ingest')).toEqual([]);
  });

  it('never makes a blob visible that fails verification (digest or size)', async () => {
    const data = Buffer.from('real bytes');
    const wrong = sha256('other bytes');
    await expect(root.content.ingest(Readable.from([data]), { digest: wrong, what: 'layer X' })).rejects.toThrow(DigestMismatchError);
    await expect(root.content.ingest(Readable.from([data]), { digest: wrong, what: 'layer X' })).rejects.toThrow(
      /layer X failed verification: expected digest sha256:/,
    );
    await expect(root.content.ingest(Readable.from([data]), { digest: sha256(data), size: 3 })).rejects.toThrow('expected 3 bytes');
    await expect(root.content.ingest(Readable.from([data]), { digest: sha256(data), size: 99 })).rejects.toThrow('expected 99 bytes');
    expect(await listing('blobs/sha256')).toEqual([]);
    expect(await listing('ingest')).toEqual([]);
    expect(await root.content.has(wrong)).toBe(false);
    await expect(root.content.read(wrong)).rejects.toThrow(BlobNotFoundError);
  });

  it('a failing source leaves no blob and no temp file', async () => {
    async function* broken() {
      yield Buffer.from('partial');
      throw new Error('connection reset');
    }
    await expect(root.content.ingest(broken(), { digest: sha256('partial and more') })).rejects.toThrow('connection reset');
    expect(await listing('blobs/sha256')).toEqual([]);
    expect(await listing('ingest')).toEqual([]);
  });

  it('concurrent ingests of the same blob all succeed with one identical blob', async () => {
    const data = Buffer.alloc(3 << 20, 7);
    const d = sha256(data);
    const chunks = () => Readable.from(Array.from({ length: 48 }, (_, i) => data.subarray(i << 16, (i + 1) << 16)));
    const results = await Promise.all(Array.from({ length: 8 }, () => root.content.ingest(chunks(), { digest: d, size: data.length })));
    expect(new Set(results.map((r) => r.digest))).toEqual(new Set([d]));
    expect(await listing('blobs/sha256')).toEqual([d.slice(7)]);
    expect(await listing('ingest')).toEqual([]);
    expect(sha256(await root.content.read(d))).toBe(d);
  });

  it('ensure() produces a missing blob once for concurrent callers', async () => {
    const data = Buffer.from('once');
    let produced = 0;
    const produce = () => {
      produced++;
      return Readable.from([data]);
    };
    await Promise.all(Array.from({ length: 5 }, () => root.content.ensure(sha256(data), produce)));
    expect(produced).toBe(1);
    await root.content.ensure(sha256(data), produce);
    expect(produced).toBe(1);
  });

  it('writes small JSON blobs and links atomically', async () => {
    const w = await root.content.writeJson({ a: 1 });
    expect(w.digest).toBe(sha256('{"a":1}'));
    await root.content.setLink('kind/with:odd', 'key', { x: 1 });
    expect(await root.content.getLink('kind/with:odd', 'key')).toEqual({ x: 1 });
    expect(await root.content.getLink('kind/with:odd', 'missing')).toBeUndefined();
  });
});
