import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../oci/index.ts';
import { FlushBehind } from '../../oci/flush-behind.ts';
import { tempRoot, type TempRoot } from './helpers.ts';

let root: TempRoot;
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());

const openFds = () => readdirSync('/proc/self/fd').length;
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('FlushBehind', () => {
  it('starts a sync each time another `every` bytes are written, one at a time, and closes its descriptor', async () => {
    const path = join(root.dir, 'blob');
    const fd = openSync(path, 'wx');
    const before = openFds();
    const flush = new FlushBehind(path, 1 << 20);
    const chunk = Buffer.alloc(256 << 10, 1);
    let asked = 0;
    for (let i = 0; i < 32; i++) {
      writeSync(fd, chunk);
      if (flush.wrote(chunk.length)) {
        asked++;
        // A sync takes a while: wait for it so the next one can start.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(asked).toBe(8);
    // One at a time: a sync still running when the next 1 MiB is written starts none.
    expect(flush.syncs).toBeGreaterThanOrEqual(1);
    expect(flush.syncs).toBeLessThanOrEqual(8);
    expect(openFds()).toBe(before + 1);
    await flush.done();
    expect(openFds()).toBe(before);
    closeSync(fd);
  });

  it('opens nothing for a file smaller than `every`', async () => {
    const path = join(root.dir, 'small');
    const fd = openSync(path, 'wx');
    const before = openFds();
    const flush = new FlushBehind(path, 1 << 20);
    writeSync(fd, Buffer.alloc(1000));
    expect(flush.wrote(1000)).toBe(false);
    expect(openFds()).toBe(before);
    await flush.done();
    expect(flush.syncs).toBe(0);
    closeSync(fd);
  });

  it('keeps the first error an early sync got and throws it from done()', async () => {
    // A character device cannot be synced: every fdatasync fails (EINVAL).
    const flush = new FlushBehind('/dev/null', 1);
    expect(flush.wrote(1)).toBe(true);
    await expect(flush.done()).rejects.toThrow(/EINVAL/);
  });
});

describe('ContentStore with flush-behind', () => {
  it('ingests a blob of several flush intervals by chunks and by stream, verified, with no descriptor left open', async () => {
    const data = Buffer.alloc(40 << 20);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
    const d = sha256(data);
    const before = openFds();
    const started = FlushBehind.started;
    async function* chunks() {
      for (let at = 0; at < data.length; at += 1 << 20) {
        yield data.subarray(at, at + (1 << 20));
        await turn();
      }
    }
    expect(await root.content.ingestChunks(chunks())).toEqual({ digest: d, size: data.length });
    const byChunks = FlushBehind.started - started;
    expect(byChunks).toBeGreaterThan(0);
    await root.content.delete(d);
    expect(await root.content.ingest(chunks(), { digest: d, size: data.length })).toEqual({ digest: d, size: data.length });
    expect(FlushBehind.started - started).toBeGreaterThan(byChunks);
    expect(sha256(await root.content.read(d))).toBe(d);
    expect(openFds()).toBe(before);
  });

  it('a source failing after syncs started leaves no temp file and no descriptor', async () => {
    const before = openFds();
    async function* broken() {
      for (let i = 0; i < 40; i++) yield Buffer.alloc(1 << 20, i);
      throw new Error('disk source went away');
    }
    await expect(root.content.ingestChunks(broken())).rejects.toThrow('disk source went away');
    await expect(root.content.ingest(broken(), { digest: sha256('x') })).rejects.toThrow('disk source went away');
    expect(await readdir(join(root.dir, 'content', 'ingest'))).toEqual([]);
    expect(await readdir(join(root.dir, 'content', 'blobs', 'sha256'))).toEqual([]);
    expect(openFds()).toBe(before);
  });
});
