// Layer listings: read off a tar as it streams through, checked against GNU tar's own listing;
// a tar that cannot be listed never breaks the stream that carries it.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapLayerFiles } from '../../../oci/layer/index.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsbuild-layer-files-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function collect(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    sink: new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

describe('tapLayerFiles', () => {
  it('lists what GNU tar lists (long names, whiteouts, opaque markers) and passes the bytes through unchanged', async () => {
    const src = join(tmp, 'tree');
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    await mkdir(join(src, 'etc', 'app'), { recursive: true });
    await mkdir(join(src, 'd'.repeat(120)), { recursive: true });
    await writeFile(join(src, long), Buffer.alloc(70_000, 1));
    await writeFile(join(src, 'etc', 'app', 'conf'), 'x'.repeat(1234));
    await writeFile(join(src, 'etc', '.wh.passwd'), '');
    await writeFile(join(src, 'etc', 'app', '.wh..wh..opq'), '');
    const tar = join(tmp, 'layer.tar');
    execFileSync('tar', ['--format=posix', '-cf', tar, '-C', src, '.']);
    // GNU tar's view: name and size of each member.
    const gnu = execFileSync('tar', ['-tvf', tar], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith('-'))
      .map((l) => /^\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(l)!)
      .map((m) => ({ path: m[2]!.replace(/^\.\//, ''), size: Number(m[1]) }));

    const tap = tapLayerFiles();
    const out = collect();
    await pipeline(createReadStream(tar, { highWaterMark: 777 }), tap.stream, out.sink);
    const files = await tap.files;
    expect(out.bytes().equals(execFileSync('cat', [tar]))).toBe(true);
    expect(files.tarSize).toBe(out.bytes().length);

    const regular = files.entries.filter((e) => e.kind === 'file').map((e) => ({ path: e.path, size: e.size }));
    const gnuRegular = gnu.filter((g) => !g.path.split('/').pop()!.startsWith('.wh.'));
    expect(regular.sort((a, b) => a.path.localeCompare(b.path))).toEqual(gnuRegular.sort((a, b) => a.path.localeCompare(b.path)));
    expect(regular.find((e) => e.path === long)?.size).toBe(70_000);
    expect(files.entries).toContainEqual({ path: 'etc/passwd', kind: 'whiteout', size: 0 });
    expect(files.entries).toContainEqual({ path: 'etc/app', kind: 'opaque', size: 0 });
    expect(files.entries.filter((e) => e.kind === 'dir').map((e) => e.path)).toContain('etc/app');
  });

  it('gives up on bytes that are not a tar, without failing or stalling the stream', async () => {
    const junk = Buffer.alloc(3 << 20, 0x41);
    const tap = tapLayerFiles();
    const out = collect();
    await pipeline(Readable.from([junk.subarray(0, 1 << 20), junk.subarray(1 << 20)]), tap.stream, out.sink);
    expect(out.bytes().equals(junk)).toBe(true);
    await expect(tap.files).rejects.toThrow(/checksum|tar/);
  });
});
