// Seeded random values for any message of the LLB schema, in normalized form (no explicit
// defaults outside oneofs, no empty repeated fields), so decode(encode(x)) must equal x.
import protobuf from 'protobufjs';
import { messageType, type MessageName } from './pb-schema.ts';

export function rng(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenOptions {
  /** Allow map keys like "10" that JavaScript objects reorder. */
  readonly integerLikeKeys?: boolean;
  readonly maxDepth?: number;
}

export function randomMessage(name: MessageName, seed: number, opts: GenOptions = {}): Record<string, unknown> {
  const r = rng(seed);
  return gen(messageType(name), r, opts, 0);
}

const alphabet = ['a', 'b', 'z', 'A', '/', '.', '-', '_', '=', ' ', 'é', '日', '😀', '\n', '0', '9'];

function str(r: () => number, allowEmpty: boolean, opts: GenOptions): string {
  const len = Math.floor(r() * 8) + (allowEmpty ? 0 : 1);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  if (!opts.integerLikeKeys && /^\d+$/.test(s)) s = `k${s}`;
  return s;
}

function int(r: () => number, kind: string): number {
  const pick = r();
  switch (kind) {
    case 'bool':
      throw new Error('unreachable');
    case 'uint32':
      return pick < 0.3 ? Math.floor(r() * 128) + 1 : Math.floor(r() * 0xffffffff) + 1;
    case 'int32':
      return (pick < 0.5 ? -1 : 1) * (Math.floor(r() * 0x7fffffff) + 1);
    case 'uint64':
      return Math.floor(r() * Number.MAX_SAFE_INTEGER) + 1;
    default: // int64 and enums handled by callers
      if (pick < 0.2) return -1;
      return (pick < 0.5 ? -1 : 1) * (Math.floor(r() * Number.MAX_SAFE_INTEGER) + 1);
  }
}

function scalar(field: protobuf.Field, r: () => number, opts: GenOptions, inOneof: boolean): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Enum) {
    const values = Object.values(t.values).filter((v) => inOneof || v !== 0);
    return values[Math.floor(r() * values.length)];
  }
  switch (field.type) {
    case 'string':
      return str(r, inOneof, opts);
    case 'bytes': {
      const n = Math.floor(r() * 6) + (inOneof ? 0 : 1);
      return new Uint8Array(Array.from({ length: n }, () => Math.floor(r() * 256)));
    }
    case 'bool':
      return inOneof ? r() < 0.5 : true;
    default:
      return inOneof && r() < 0.3 ? 0 : int(r, field.type);
  }
}

function gen(type: protobuf.Type, r: () => number, opts: GenOptions, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const maxDepth = opts.maxDepth ?? 4;
  const oneofMembers = new Set(type.oneofsArray.flatMap((o) => o.oneof));
  for (const o of type.oneofsArray) {
    if (r() < 0.2) continue;
    const name = o.oneof[Math.floor(r() * o.oneof.length)]!;
    const field = type.fields[name]!;
    if (field.resolvedType instanceof protobuf.Type) {
      if (depth < maxDepth) out[name] = gen(field.resolvedType, r, opts, depth + 1);
    } else out[name] = scalar(field, r, opts, true);
  }
  for (const field of type.fieldsArray) {
    if (oneofMembers.has(field.name) || r() < 0.4) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (sub && depth >= maxDepth) continue;
    if (field instanceof protobuf.MapField) {
      const m: Record<string, unknown> = {};
      const n = Math.floor(r() * 4) + 1;
      for (let i = 0; i < n; i++) m[str(r, true, opts)] = sub ? gen(sub, r, opts, depth + 1) : scalar(field, r, opts, true);
      out[field.name] = m;
    } else if (field.repeated) {
      const n = Math.floor(r() * 3) + 1;
      out[field.name] = Array.from({ length: n }, () => (sub ? gen(sub, r, opts, depth + 1) : scalar(field, r, opts, true)));
    } else {
      out[field.name] = sub ? gen(sub, r, opts, depth + 1) : scalar(field, r, opts, false);
    }
  }
  return out;
}
