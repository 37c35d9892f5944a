// sha256 digests as OCI writes them: `sha256:<64 lowercase hex>`.
import { hash, type Hash } from 'node:crypto';
import { isDigest, type Digest } from '../llb/index.ts';

export { isDigest };

export function sha256(data: Uint8Array | string): Digest {
  // One-shot: no Hash object (a third of the time for small data, hashed by the thousand).
  return `sha256:${hash('sha256', data)}`;
}

/** The 64-character hex part, after checking the value really is a sha256 digest (it becomes a file name). */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return digest.slice('sha256:'.length);
}

/** The digest a running sha256 hash has reached (it can be finished only once). */
export function hashDigest(hash: Hash): Digest {
  return `sha256:${hash.digest('hex')}`;
}
