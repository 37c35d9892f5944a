// Compression and decompression streams for layer blobs.
import { PassThrough, Transform } from 'node:stream';
import { constants, createGunzip, createZstdCompress, createZstdDecompress } from 'node:zlib';
import { createParallelGzip } from './parallel-gzip.ts';
import { checkLevel, type Compression, type CompressionOptions } from './types.ts';

export function createCompressor(c: CompressionOptions): Transform {
  checkLevel(c);
  switch (c.type) {
    case 'gzip':
      return createParallelGzip({ level: c.level ?? 6 });
    case 'zstd':
      return createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: c.level ?? 3 } });
    case 'uncompressed':
      return new PassThrough();
  }
}

export function createDecompressor(c: Compression): Transform {
  switch (c) {
    case 'gzip':
      return createGunzip();
    case 'zstd':
      return createZstdDecompress();
    case 'uncompressed':
      return new PassThrough();
  }
}

/** Recognises a blob's compression by its first bytes, for blobs whose media type says nothing useful. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'uncompressed';
}
