// Layer compressions and the media types that name them.
import { MediaType } from '../types.ts';

export type Compression = 'gzip' | 'zstd' | 'uncompressed';

export interface CompressionOptions {
  type: Compression;
  /** gzip 0–9 (default 6), zstd 1–22 (default 3). */
  level?: number;
  /** Recompress even when an existing blob already has this compression (at another level). */
  force?: boolean;
}

export const DEFAULT_COMPRESSION: CompressionOptions = { type: 'gzip' };

export function isCompression(s: string): s is Compression {
  return s === 'gzip' || s === 'zstd' || s === 'uncompressed';
}

/** The compression a layer media type says its blob has. */
export function compressionOfMediaType(mediaType: string): Compression {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('+zstd')) return 'zstd';
  return 'uncompressed';
}

export function ociLayerMediaType(c: Compression): string {
  return c === 'gzip' ? MediaType.ociLayerGzip : c === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

/** Docker schema2 has no zstd layer type; such layers keep the OCI type, as BuildKit does. */
export function dockerLayerMediaType(c: Compression): string {
  return c === 'gzip' ? MediaType.dockerLayerGzip : c === 'zstd' ? MediaType.ociLayerZstd : MediaType.dockerLayer;
}

export function checkLevel(c: CompressionOptions): void {
  if (c.level === undefined) return;
  const [min, max] = c.type === 'gzip' ? [0, 9] : c.type === 'zstd' ? [1, 22] : [0, 0];
  if (c.type === 'uncompressed') throw new RangeError('compression-level makes no sense with compression=uncompressed');
  if (!Number.isInteger(c.level) || c.level < min || c.level > max) {
    throw new RangeError(`compression-level ${c.level} is out of range for ${c.type} (${min}–${max})`);
  }
}

/** Memo key: one blob per compression and level. */
export function compressionKey(c: CompressionOptions): string {
  return c.type === 'uncompressed' ? 'uncompressed' : `${c.type}-${c.level ?? 'default'}`;
}
