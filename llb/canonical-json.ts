// The one JSON text of a value, for hashing: object keys sorted at every depth, undefined members
// left out (absent and undefined are one value), arrays in their order. (Integer-like keys come
// first in numeric order, as JavaScript enumerates them: still one text per value.) A key must not depend on
// the order in which a decoder or a spread happened to fill an object.

/** Canonical JSON; bigints become decimal strings and bytes `{ base64 }`, as nothing else can. */
export function canonicalJSON(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

function canonical(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return { base64: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : canonical(x)));
  // Plain JSON writes both as {} whatever they hold: two different values would hash alike.
  if (v instanceof Map || v instanceof Set) throw new TypeError('canonicalJSON: a Map or Set has no JSON form; convert it first');
  const withJSON = v as { toJSON?: () => unknown };
  if (typeof withJSON.toJSON === 'function') return canonical(withJSON.toJSON());
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = canonical((v as Record<string, unknown>)[k]);
    if (x !== undefined && typeof x !== 'function' && typeof x !== 'symbol') out[k] = x;
  }
  return out;
}
