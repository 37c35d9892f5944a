// Content addressing: a vertex is named by the sha256 of its marshaled Op bytes.
import { createHash } from 'node:crypto';
import type { Digest } from './pb/types.ts';

export function digestOf(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && /^sha256:[0-9a-f]{64}$/.test(value);
}
