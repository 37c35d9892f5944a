// Layer compression: gzip (parallel, in workers), zstd, none; media types per compression.
export type { Compression, CompressionOptions } from './types.ts';
export { isCompression, checkLevel, compressionOfMediaType, ociLayerMediaType, dockerLayerMediaType, compressionKey, DEFAULT_COMPRESSION } from './types.ts';
export { createCompressor, createDecompressor, sniffCompression } from './compress.ts';
export { createParallelGzip, DEFAULT_GZIP_CHUNK, type ParallelGzipOptions } from './parallel-gzip.ts';
export { closeGzipPool } from './gzip-pool.ts';
