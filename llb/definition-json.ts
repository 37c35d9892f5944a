// A Definition as plain JSON, one entry per op, for people and for `tsbuild debug dump-llb`
// (the shape follows `buildctl debug dump-llb`: digest, op, inputs, metadata). Bytes become
// base64 as protobuf's JSON mapping writes them; 64-bit values too big for a double become strings.
import { decodeDefinition, opKind } from './definition.ts';
import { decodeOp } from './pb/messages.ts';
import { digestOf } from './digest.ts';
import type { Definition, Digest, OpMetadata } from './pb/types.ts';

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

export interface OpJSON {
  readonly digest: Digest;
  /** `exec`, `source`, …, or `terminal` for the last op. */
  readonly kind: string;
  readonly op: JSONValue;
  readonly inputs: readonly string[];
  readonly metadata?: JSONValue;
}

export function toJSONValue(v: unknown): JSONValue {
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(toJSONValue);
  if (typeof v === 'object') {
    const out: Record<string, JSONValue> = {};
    for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = toJSONValue(val);
    return out;
  }
  return v as JSONValue;
}

/** Validates and renders every op, in definition order, the terminal op last. Throws DefinitionError. */
export function definitionToJSON(def: Definition): OpJSON[] {
  decodeDefinition(def); // validate first: a broken graph is reported, not half-printed
  return def.def.map((bytes) => {
    const op = decodeOp(bytes);
    const digest = digestOf(bytes);
    const md: OpMetadata | undefined = def.metadata?.[digest];
    const entry: OpJSON = {
      digest,
      kind: opKind(op) ?? 'terminal',
      op: toJSONValue(op),
      inputs: (op.inputs ?? []).map((i) => (i.index ? `${i.digest}:${i.index}` : i.digest)),
      ...(md ? { metadata: toJSONValue(md) } : {}),
    };
    return entry;
  });
}
