import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { closeGzipPool, createCompressor, createParallelGzip, sniffCompression } from '../../oci/index.ts';
import { requirePrereqs } from '../support/require-root.ts';

afterAll(() => closeGzipPool());

async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

function compressible(n: number): Buffer {
  const words = ['layer', 'tar', 'gzip', 'chunk', 'worker', 'oci', '\n'];
  const b = Buffer.alloc(n);
  let off = 0;
  let i = 0;
  while (off < n) off += b.write(words[(i = (i * 7 + 3) % words.length)]! + ' ', off);
  return b;
}

describe('parallel gzip', () => {
  const input = Buffer.concat([compressible(2_500_000), randomBytes(300_000)]);

  it('produces a multi-member stream that zlib reads back exactly', async () => {
    const gz = await collect(Readable.from([input]).pipe(createParallelGzip({ chunkSize: 256 << 10 })));
    expect(gz[0]).toBe(0x1f);
    expect(gz.length).toBeLessThan(input.length);
    // several members: the gzip magic appears at more than one member start
    let members = 0;
    for (let i = gz.indexOf(Buffer.from([0x1f, 0x8b, 8])); i >= 0; i = gz.indexOf(Buffer.from([0x1f, 0x8b, 8]), i + 1)) members++;
    expect(members).toBeGreaterThanOrEqual(11);
    expect(gunzipSync(gz).equals(input)).toBe(true);
  });

  it('is accepted by gzip -t and gunzip', async () => {
    if (!requirePrereqs({ commands: ['gzip'] })) return;
    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-gz-'));
    try {
      const gz = await collect(Readable.from([input.subarray(0, 1_000_000), input.subarray(1_000_000)]).pipe(createParallelGzip({ chunkSize: 300_000 })));
      await writeFile(join(dir, 'x.gz'), gz);
      execFileSync('gzip', ['-t', join(dir, 'x.gz')]);
      expect(execFileSync('gzip', ['-dc', join(dir, 'x.gz')], { maxBuffer: 1 << 26 }).equals(input)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is deterministic and handles empty input', async () => {
    const a = await collect(Readable.from([input]).pipe(createParallelGzip({ level: 1 })));
    const b = await collect(Readable.from([input.subarray(0, 77), input.subarray(77)]).pipe(createParallelGzip({ level: 1 })));
    expect(a.equals(b)).toBe(true);
    const empty = await collect(Readable.from([]).pipe(createParallelGzip()));
    expect(empty.length).toBeGreaterThan(0);
    expect(gunzipSync(empty).length).toBe(0);
  });

  it('zstd and uncompressed round-trip; sniffing recognises each', async () => {
    const z = await collect(Readable.from([input]).pipe(createCompressor({ type: 'zstd', level: 5 })));
    expect(zstdDecompressSync(z).equals(input)).toBe(true);
    expect(sniffCompression(z)).toBe('zstd');
    const g = await collect(Readable.from([input]).pipe(createCompressor({ type: 'gzip' })));
    expect(sniffCompression(g)).toBe('gzip');
    const u = await collect(Readable.from([input]).pipe(createCompressor({ type: 'uncompressed' })));
    expect(u.equals(input)).toBe(true);
    expect(() => createCompressor({ type: 'gzip', level: 12 })).toThrow('out of range for gzip (0–9)');
  });
});
