// Op cache digests: sha256 over a versioned payload in canonical JSON (keys sorted at every
// depth, undefined members left out), so a digest never depends on the order in which an object
// was filled. The `type` names the op kind and the payload version; bump it whenever what goes
// into a payload, or how it is written, changes, so old cache records stop matching instead of
// matching the wrong thing. (v0 → v1: canonical JSON instead of insertion order.)
import { createHash } from 'node:crypto';
import { canonicalJSON, type Digest } from '../../llb/index.ts';

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function digestOfText(text: string): Digest {
  return `sha256:${sha256Hex(text)}`;
}

export function opDigest(type: string, payload: unknown): Digest {
  return digestOfText(canonicalJSON({ type, ...(payload as object) }));
}
