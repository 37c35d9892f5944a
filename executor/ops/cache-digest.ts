// Op cache digests: sha256 over a versioned JSON payload. The `type` names the op kind and the
// payload version; bump it whenever what goes into a payload changes, so old cache records stop
// matching instead of matching the wrong thing.
import { createHash } from 'node:crypto';
import type { Digest } from '../../llb/index.ts';

/** JSON that also carries bigints (timestamps) and bytes (file contents) deterministically. */
export function stableJSON(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return { base64: Buffer.from(v).toString('base64') };
    return v;
  });
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function digestOfText(text: string): Digest {
  return `sha256:${sha256Hex(text)}`;
}

export function opDigest(type: string, payload: unknown): Digest {
  return digestOfText(stableJSON({ type, ...(payload as object) }));
}
