// Protobuf wire format for the daemon's control and session messages. These messages are not
// hashed (unlike LLB ops, see llb/pb/codec.ts), so a plain field list is enough: writers append
// fields in the order given, readers collect every field by number and skip what they do not
// know, so a newer daemon's extra fields are ignored.

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** Raises on bytes that are not a protobuf message: the connection is then unusable. */
export class WireError extends Error {
  override name = 'WireError';
}

export class Writer {
  readonly #chunks: Uint8Array[] = [];
  #bytes: number[] = [];

  #flush(): void {
    if (this.#bytes.length > 0) {
      this.#chunks.push(Uint8Array.from(this.#bytes));
      this.#bytes = [];
    }
  }

  #varint(v: bigint): void {
    let n = BigInt.asUintN(64, v);
    while (n >= 0x80n) {
      this.#bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.#bytes.push(Number(n));
  }

  #tag(field: number, wire: number): void {
    this.#varint(BigInt((field << 3) | wire));
  }

  /** A varint field (int32, int64, uint32, uint64, bool, enum); zero is omitted, as proto3 does. */
  uint(field: number, v: number | bigint | boolean | undefined): this {
    if (v === undefined || v === 0 || v === 0n || v === false) return this;
    this.#tag(field, VARINT);
    this.#varint(typeof v === 'boolean' ? 1n : BigInt(v));
    return this;
  }

  bytes(field: number, v: Uint8Array | undefined, keepEmpty = false): this {
    if (v === undefined || (v.length === 0 && !keepEmpty)) return this;
    this.#tag(field, LEN);
    this.#varint(BigInt(v.length));
    this.#flush();
    this.#chunks.push(v);
    return this;
  }

  string(field: number, v: string | undefined): this {
    return v === undefined || v === '' ? this : this.bytes(field, Buffer.from(v, 'utf8'));
  }

  strings(field: number, vs: readonly string[] | undefined): this {
    for (const v of vs ?? []) this.bytes(field, Buffer.from(v, 'utf8'), true);
    return this;
  }

  /** An embedded message, written even when empty (it is present). */
  message(field: number, v: Writer | Uint8Array | undefined): this {
    if (v === undefined) return this;
    return this.bytes(field, v instanceof Writer ? v.finish() : v, true);
  }

  /** map<string, string> (or bytes values), entries sorted by key. */
  map(field: number, m: Readonly<Record<string, string | Uint8Array>> | undefined): this {
    for (const key of Object.keys(m ?? {}).sort()) {
      const value = m![key]!;
      const entry = new Writer().string(1, key);
      if (typeof value === 'string') entry.string(2, value);
      else entry.bytes(2, value);
      this.message(field, entry);
    }
    return this;
  }

  finish(): Uint8Array {
    this.#flush();
    return Buffer.concat(this.#chunks);
  }
}

type Value = bigint | Uint8Array;

/** A decoded message: each field number's values, in the order read. */
export class Fields {
  readonly #fields = new Map<number, Value[]>();

  constructor(bytes: Uint8Array) {
    let pos = 0;
    const varint = (): bigint => {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (pos >= bytes.length) throw new WireError('truncated varint');
        const b = bytes[pos++]!;
        result |= BigInt(b & 0x7f) << shift;
        if ((b & 0x80) === 0) return result;
        shift += 7n;
        if (shift > 63n) throw new WireError('varint too long');
      }
    };
    while (pos < bytes.length) {
      const tag = Number(varint());
      const field = tag >>> 3;
      let value: Value;
      switch (tag & 7) {
        case VARINT:
          value = varint();
          break;
        case LEN: {
          const len = Number(varint());
          if (pos + len > bytes.length) throw new WireError('truncated field');
          value = bytes.subarray(pos, pos + len);
          pos += len;
          break;
        }
        case FIXED64:
          pos += 8;
          continue;
        case FIXED32:
          pos += 4;
          continue;
        default:
          throw new WireError(`unsupported wire type ${tag & 7}`);
      }
      const list = this.#fields.get(field);
      if (list) list.push(value);
      else this.#fields.set(field, [value]);
    }
  }

  #last(field: number): Value | undefined {
    const list = this.#fields.get(field);
    return list?.[list.length - 1];
  }

  int(field: number): number {
    const v = this.#last(field);
    return typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : 0;
  }

  bool(field: number): boolean {
    return this.int(field) !== 0;
  }

  bytes(field: number): Uint8Array {
    const v = this.#last(field);
    return v instanceof Uint8Array ? v : new Uint8Array();
  }

  string(field: number): string {
    return Buffer.from(this.bytes(field)).toString('utf8');
  }

  has(field: number): boolean {
    return this.#fields.has(field);
  }

  message(field: number): Fields | undefined {
    const v = this.#last(field);
    return v instanceof Uint8Array ? new Fields(v) : undefined;
  }

  all(field: number): Uint8Array[] {
    return (this.#fields.get(field) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array);
  }

  strings(field: number): string[] {
    return this.all(field).map((b) => Buffer.from(b).toString('utf8'));
  }

  messages(field: number): Fields[] {
    return this.all(field).map((b) => new Fields(b));
  }

  /** map<string, string>. */
  map(field: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.messages(field)) out[e.string(1)] = e.string(2);
    return out;
  }
}

/** google.protobuf.Timestamp as milliseconds since the epoch; undefined when absent. */
export function timestampMs(f: Fields | undefined): number | undefined {
  if (!f) return undefined;
  return f.int(1) * 1000 + Math.floor(f.int(2) / 1e6);
}
