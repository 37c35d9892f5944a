// sha256 digests as OCI writes them: `sha256:<64 lowercase hex>`.
import { createHash, type Hash } from 'node:crypto';
import type { Digest } from '../llb/index.ts';

const digestRe = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && digestRe.test(value);
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The 64-character hex part, after checking the value really is a sha256 digest (it becomes a file name). */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return digest.slice('sha256:'.length);
}

export function digestOf(hash: Hash): Digest {
  return `sha256:${hash.digest('hex')}`;
}
