// Deterministic protobuf encoding and strict decoding of the LLB messages, driven by the
// schema's plain data (schema-data.ts) over protobufjs's wire Reader and Writer. The bytes match
// what Go writes with
// `proto.MarshalOptions{Deterministic: true}`, because op digests are sha256 of these bytes:
//   - fields in field-number order;
//   - proto3 scalars equal to their default (0, '', false, empty bytes) are omitted, even when set;
//   - a message field that is present is written even when empty (Go writes non-nil pointers);
//   - a oneof member that is present is written even when it holds a default value;
//   - repeated numeric fields are packed; repeated strings/bytes/messages are written one by one;
//   - map entries are sorted bytewise by key (UTF-8), each entry writes both key and value;
//   - negative int32/int64 values are 10-byte two's-complement varints.
// protobufjs's generated encoder is not used: it writes explicitly set defaults and maps in object
// key order (integer-like keys first), and either would change digests. Only its minimal build
// (wire Reader/Writer, no reflection) is loaded: every build decodes its definition on startup,
// and building a reflected schema there cost more than the whole decode.
import protobuf from 'protobufjs/minimal.js';
import { types, type MessageName, type TypeJSON } from './schema-data.ts';
import { compareUtf8 } from '../bytes.ts';

/** Input bytes that are not a valid encoding of the expected message. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

/** A value that cannot be encoded (wrong type, out of range). A bug in the caller, not user input. */
export class EncodeError extends Error {
  override name = 'EncodeError';
}

type Kind = 'int32' | 'int64' | 'uint32' | 'uint64' | 'bool' | 'enum' | 'string' | 'bytes' | 'message';

interface FieldPlan {
  readonly name: string;
  readonly id: number;
  readonly kind: Kind;
  readonly repeated: boolean;
  readonly inOneof: readonly string[] | undefined; // the oneof's member names when in a oneof
  readonly map?: { readonly valueKind: Kind; readonly valueType?: TypePlan };
  type?: TypePlan; // message type (resolved lazily for recursive messages)
}

interface TypePlan {
  readonly name: string;
  readonly fields: readonly FieldPlan[]; // sorted by id
  readonly byId: ReadonlyMap<number, FieldPlan>;
}

// Plans are made on first use of each message type and kept for the process.
const plans = new Map<string, TypePlan>();
const schema = types as Record<string, TypeJSON | { values: Record<string, number> }>;

function kindOf(type: string): Kind {
  const named = schema[type];
  if (named) return 'fields' in named ? 'message' : 'enum';
  switch (type) {
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'bool':
    case 'string':
    case 'bytes':
      return type;
    default:
      throw new Error(`llb schema: unsupported field type ${type}`);
  }
}

function planFor(name: string): TypePlan {
  const cached = plans.get(name);
  if (cached) return cached;
  const def = schema[name];
  if (!def || !('fields' in def)) throw new Error(`llb schema: no message ${name}`);
  const fields: FieldPlan[] = [];
  const plan: TypePlan = { name, fields, byId: new Map() };
  plans.set(name, plan);
  const oneofOf = new Map<string, readonly string[]>();
  for (const { oneof } of Object.values(def.oneofs ?? {})) for (const member of oneof) oneofOf.set(member, oneof);
  const entries = Object.entries(def.fields).sort((a, b) => a[1].id - b[1].id);
  for (const [fieldName, field] of entries) {
    const base = { name: fieldName, id: field.id, repeated: field.rule === 'repeated', inOneof: oneofOf.get(fieldName) };
    const kind = kindOf(field.type);
    let fp: FieldPlan;
    if (field.keyType !== undefined) {
      fp = { ...base, repeated: false, kind: 'message', map: kind === 'message' ? { valueKind: kind, valueType: planFor(field.type) } : { valueKind: kind } };
    } else {
      fp = { ...base, kind };
      if (kind === 'message') fp.type = planFor(field.type);
    }
    fields.push(fp);
    (plan.byId as Map<number, FieldPlan>).set(fp.id, fp);
  }
  return plan;
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function wireTypeOf(kind: Kind): number {
  return kind === 'string' || kind === 'bytes' || kind === 'message' ? WIRE_LEN : WIRE_VARINT;
}

function isDefault(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return v === '';
    case 'bytes':
      return (v as Uint8Array).length === 0;
    case 'bool':
      return v === false;
    case 'message':
      return false;
    default:
      return v === 0 || v === 0n;
  }
}

function checkScalar(kind: Kind, v: unknown, path: string): void {
  const fail = (what: string) => {
    throw new EncodeError(`${path}: expected ${what}, got ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  };
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') fail('a string');
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array)) fail('a Uint8Array');
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail('a boolean');
      return;
    case 'message':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('an object');
      return;
    case 'uint32':
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) fail('a uint32');
      return;
    case 'int32':
    case 'enum':
      if (!Number.isInteger(v) || (v as number) < -0x80000000 || (v as number) > 0x7fffffff) fail('an int32');
      return;
    case 'uint64':
      if (typeof v === 'bigint' ? v < 0n || v > 0xffffffffffffffffn : !Number.isSafeInteger(v) || (v as number) < 0)
        fail('a non-negative safe integer or bigint');
      return;
    case 'int64':
      if (typeof v === 'bigint' ? v < -0x8000000000000000n || v > 0x7fffffffffffffffn : !Number.isSafeInteger(v)) fail('a safe integer or bigint');
      return;
  }
}

function writeScalar(w: protobuf.Writer, kind: Kind, v: unknown): void {
  switch (kind) {
    case 'string':
      w.string(v as string);
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'uint32':
      w.uint32(v as number);
      return;
    case 'int32':
    case 'enum':
      w.int32(v as number);
      return;
    case 'int64':
      w.int64(typeof v === 'bigint' ? v.toString() : (v as number)); // decimal strings are read exactly
      return;
    case 'uint64':
      w.uint64(typeof v === 'bigint' ? v.toString() : (v as number));
      return;
    case 'message':
      throw new Error('unreachable');
  }
}

function writeValue(w: protobuf.Writer, kind: Kind, type: TypePlan | undefined, v: unknown, path: string): void {
  checkScalar(kind, v, path);
  if (kind === 'message') {
    w.fork();
    writeFields(w, type!, v as Record<string, unknown>, path);
    w.ldelim();
  } else {
    writeScalar(w, kind, v);
  }
}

const utf8 = new TextEncoder();

function writeFields(w: protobuf.Writer, plan: TypePlan, value: Record<string, unknown>, path: string): void {
  for (const field of plan.fields) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const fpath = `${path}.${field.name}`;
    if (field.map) {
      if (typeof v !== 'object') throw new EncodeError(`${fpath}: expected a record`);
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, val]) => val !== undefined)
        .map(([k, val]) => [utf8.encode(k), k, val] as const)
        .sort((a, b) => compareUtf8(a[0], b[0]));
      const { valueKind, valueType } = field.map;
      for (const [, key, val] of entries) {
        w.uint32((field.id << 3) | WIRE_LEN).fork();
        w.uint32((1 << 3) | WIRE_LEN).string(key);
        w.uint32((2 << 3) | wireTypeOf(valueKind));
        writeValue(w, valueKind, valueType, val, `${fpath}[${JSON.stringify(key)}]`);
        w.ldelim();
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new EncodeError(`${fpath}: expected an array`);
      if (v.length === 0) continue;
      if (wireTypeOf(field.kind) === WIRE_VARINT) {
        w.uint32((field.id << 3) | WIRE_LEN).fork();
        v.forEach((item, i) => {
          checkScalar(field.kind, item, `${fpath}[${i}]`);
          writeScalar(w, field.kind, item);
        });
        w.ldelim();
      } else {
        v.forEach((item, i) => {
          w.uint32((field.id << 3) | WIRE_LEN);
          writeValue(w, field.kind, field.type, item, `${fpath}[${i}]`);
        });
      }
    } else {
      if (!field.inOneof && isDefault(field.kind, v)) {
        checkScalar(field.kind, v, fpath);
        continue;
      }
      w.uint32((field.id << 3) | wireTypeOf(field.kind));
      writeValue(w, field.kind, field.type, v, fpath);
    }
  }
}

function plain(bytes: Uint8Array): Uint8Array {
  // protobufjs hands out Buffers on Node; callers (and deep equality in tests) expect plain Uint8Arrays.
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes `value` as message `name` with Go-deterministic bytes. */
export function encodeMessage(name: MessageName, value: object): Uint8Array {
  const w = protobuf.Writer.create();
  writeFields(w, planFor(name), value as Record<string, unknown>, name);
  return plain(w.finish());
}

// ---- decoding ----

// 64-bit integers decode to numbers when they fit exactly, and to bigints otherwise (nanosecond
// timestamps do not fit in a double).
function toNumber(v: number | { toNumber(): number; toString(): string }): number | bigint {
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  return Number.isSafeInteger(n) ? n : BigInt(v.toString());
}

function readScalar(r: protobuf.Reader, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return r.string();
    case 'bytes':
      return new Uint8Array(r.bytes()); // a copy: never alias the caller's buffer
    case 'bool':
      return r.bool();
    case 'uint32':
      return r.uint32();
    case 'int32':
    case 'enum':
      return r.int32();
    case 'int64':
      return toNumber(r.int64() as unknown as number);
    case 'uint64':
      return toNumber(r.uint64() as unknown as number);
    case 'message':
      throw new Error('unreachable');
  }
}

function readValue(r: protobuf.Reader, kind: Kind, type: TypePlan | undefined, path: string): unknown {
  if (kind === 'message') {
    const len = r.uint32();
    const end = r.pos + len;
    if (end > r.len) throw new DecodeError(`${path}: truncated (length ${len} runs past the end)`);
    return readFields(r, type!, end, path);
  }
  return readScalar(r, kind);
}

function defaultOf(kind: Kind, type: TypePlan | undefined): unknown {
  switch (kind) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    case 'message':
      return type ? {} : undefined;
    default:
      return 0;
  }
}

export interface DecodeHooks {
  /** Called for each field number the schema does not know, at any depth. */
  unknownField?(path: string, id: number): void;
}

let hooks: DecodeHooks | undefined;

function readFields(r: protobuf.Reader, plan: TypePlan, end: number, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wt = tag & 7;
    if (id === 0) throw new DecodeError(`${path}: invalid field number 0`);
    const field = plan.byId.get(id);
    if (!field) {
      hooks?.unknownField?.(path, id);
      if (wt === 4 || wt > 5) throw new DecodeError(`${path}: invalid wire type ${wt} for field ${id}`);
      r.skipType(wt);
      continue;
    }
    const fpath = `${path}.${field.name}`;
    if (field.map) {
      if (wt !== WIRE_LEN) throw new DecodeError(`${fpath}: wrong wire type ${wt}`);
      const len = r.uint32();
      const entryEnd = r.pos + len;
      if (entryEnd > end) throw new DecodeError(`${fpath}: truncated map entry`);
      let key = '';
      let val: unknown;
      const { valueKind, valueType } = field.map;
      while (r.pos < entryEnd) {
        const etag = r.uint32();
        const eid = etag >>> 3;
        if (eid === 1 && (etag & 7) === WIRE_LEN) key = r.string();
        else if (eid === 2 && (etag & 7) === wireTypeOf(valueKind)) val = readValue(r, valueKind, valueType, `${fpath}[${JSON.stringify(key)}]`);
        else r.skipType(etag & 7);
      }
      if (r.pos !== entryEnd) throw new DecodeError(`${fpath}: malformed map entry`);
      const m = (out[field.name] ??= {}) as Record<string, unknown>;
      m[key] = val === undefined ? defaultOf(valueKind, valueType) : val;
    } else if (field.repeated) {
      const arr = (out[field.name] ??= []) as unknown[];
      if (wt === WIRE_LEN && wireTypeOf(field.kind) === WIRE_VARINT) {
        const len = r.uint32();
        const packedEnd = r.pos + len;
        if (packedEnd > end) throw new DecodeError(`${fpath}: truncated packed field`);
        while (r.pos < packedEnd) arr.push(readScalar(r, field.kind));
        if (r.pos !== packedEnd) throw new DecodeError(`${fpath}: malformed packed field`);
      } else if (wt === wireTypeOf(field.kind)) {
        arr.push(readValue(r, field.kind, field.type, `${fpath}[${arr.length}]`));
      } else {
        throw new DecodeError(`${fpath}: wrong wire type ${wt}`);
      }
    } else {
      if (wt !== wireTypeOf(field.kind)) throw new DecodeError(`${fpath}: wrong wire type ${wt}`);
      if (field.inOneof) for (const other of field.inOneof) delete out[other];
      const v = readValue(r, field.kind, field.type, fpath);
      // An explicit default outside a oneof decodes as absent, like Go's proto3 decoding.
      if (field.inOneof || field.kind === 'message' || !isDefault(field.kind, v)) out[field.name] = v;
      else delete out[field.name];
    }
    if (r.pos > end) throw new DecodeError(`${fpath}: truncated`);
  }
  if (r.pos !== end) throw new DecodeError(`${path}: truncated`);
  return out;
}

/** Decodes `bytes` as message `name`. Unknown fields are skipped (as Go does). */
export function decodeMessage<T>(name: MessageName, bytes: Uint8Array, onUnknown?: DecodeHooks): T {
  const r = protobuf.Reader.create(bytes);
  const prev = hooks;
  hooks = onUnknown;
  try {
    return readFields(r, planFor(name), bytes.length, name) as T;
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    // protobufjs reports reading past the end as a RangeError ("index out of range").
    if (err instanceof RangeError) throw new DecodeError(`${name}: truncated bytes (${err.message})`);
    throw err;
  } finally {
    hooks = prev;
  }
}
