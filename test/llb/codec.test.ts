import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeOp, DecodeError, encodeMessage, encodeOp, EncodeError, digestOf } from '../../llb/index.ts';
import type { MessageName, Op } from '../../llb/index.ts';
import { randomMessage } from './support/random-message.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const len = (n: number) => n.toString(16).padStart(2, '0');
const ld = (tag: string, body: string) => tag + len(body.length / 2) + body;

describe('golden bytes derived from the proto3 wire format', () => {
  it('encodes a SourceOp with attrs: fields by number, map entries sorted, key and value always written', () => {
    const op = { source: { identifier: 'local://ctx', attrs: { 'local.b': 'x', 'local.a': '' } }, constraints: {} };
    // Op.source = field 3, length-delimited (0x1a); SourceOp.identifier = 1 (0x0a); attrs = 2 (0x12);
    // map entry key = 1 (0x0a), value = 2 (0x12); Op.constraints = 11 (0x5a), empty.
    const entryA = ld('12', ld('0a', ascii('local.a')) + '1200');
    const entryB = ld('12', ld('0a', ascii('local.b')) + ld('12', ascii('x')));
    const source = ld('0a', ascii('local://ctx')) + entryA + entryB;
    const expected = ld('1a', source) + '5a00';
    expect(hex(encodeOp(op))).toBe(expected);
    expect(decodeOp(encodeOp(op))).toEqual(op);
  });

  it('writes negative int64 as a 10-byte varint and omits zero', () => {
    const bytes = encodeMessage('Mount', { input: -1, output: 0, dest: '/' });
    expect(hex(bytes)).toBe('08ffffffffffffffffff01' + ld('1a', ascii('/')));
  });

  it('writes negative int32 (file mode) as a 10-byte varint', () => {
    expect(hex(encodeMessage('FileActionCopy', { mode: -1 }))).toBe('20ffffffffffffffffff01');
  });

  it('packs repeated int32', () => {
    expect(hex(encodeMessage('Meta', { validExitCodes: [0, 1, 300] }))).toBe('6204' + '00' + '01' + 'ac02');
  });

  it('writes a oneof member even when it holds the default (byID 0 = root)', () => {
    expect(hex(encodeMessage('UserOpt', { byID: 0 }))).toBe('1000');
    expect(decodeMessage('UserOpt', new Uint8Array([0x10, 0x00]))).toEqual({ byID: 0 });
  });

  it('omits explicit defaults outside oneofs but keeps present empty messages', () => {
    const withDefaults: Op = {
      inputs: [],
      exec: { meta: { args: ['a'], cwd: '', user: '', removeMountStubsRecursive: false }, network: 0, security: 0 },
      constraints: {},
    };
    const without = { exec: { meta: { args: ['a'] } }, constraints: {} };
    expect(hex(encodeOp(withDefaults))).toBe(hex(encodeOp(without)));
    expect(hex(encodeOp({ constraints: {} }))).toBe('5a00');
    expect(hex(encodeOp({}))).toBe('');
  });

  it('sorts map keys bytewise, not in JavaScript object order', () => {
    // Integer-like keys come first in a JS object; Go sorts "10" < "9" < "a" < "é" < "😀" bytewise.
    const attrs: Record<string, string> = { a: '1', '9': '2', '10': '3', '😀': '4', é: '5', '\uffff': '6' };
    const decoded = decodeOp(encodeOp({ source: { identifier: 'x', attrs } }));
    expect(Object.keys(decoded.source!.attrs!).sort()).toEqual(Object.keys(attrs).sort());
    const bytes = Buffer.from(encodeOp({ source: { identifier: 'x', attrs } }));
    const order = ['10', '9', 'a', 'é', '\uffff', '😀'].map((k) => bytes.indexOf(Buffer.from(k)));
    expect(order).toEqual([...order].sort((x, y) => x - y));
  });

  it('encodes int64 bigints exactly (nanosecond timestamps)', () => {
    const ts = 1_700_000_000_123_456_789n;
    const back = decodeMessage<{ timestamp: bigint }>('FileActionMkDir', encodeMessage('FileActionMkDir', { timestamp: ts }));
    expect(back.timestamp).toBe(ts);
  });

  it('refuses values of the wrong type', () => {
    expect(() => encodeOp({ source: { identifier: 5 as unknown as string } })).toThrow(EncodeError);
    expect(() => encodeOp({ source: { identifier: 5 as unknown as string } })).toThrow(/Op\.source\.identifier: expected a string/);
    expect(() => encodeMessage('Mount', { input: 1.5 })).toThrow(/safe integer/);
  });
});

describe('decoding', () => {
  it('skips unknown fields as Go does', () => {
    const known = encodeOp({ source: { identifier: 'x' } });
    const withUnknown = new Uint8Array([...known, 0xf8, 0x01, 0x07]); // field 31, varint 7
    expect(decodeOp(withUnknown)).toEqual({ source: { identifier: 'x' } });
  });

  it('reports truncated input as a DecodeError', () => {
    const bytes = encodeOp({ source: { identifier: 'docker-image://x' }, constraints: {} });
    for (const cut of [1, 5, bytes.length - 1]) {
      expect(() => decodeOp(bytes.subarray(0, cut))).toThrow(DecodeError);
    }
  });

  it('reports a wrong wire type as a DecodeError', () => {
    expect(() => decodeOp(new Uint8Array([0x18, 0x01]))).toThrow(/wrong wire type/); // field 3 as varint
  });

  it('accepts unpacked repeated scalars', () => {
    expect(decodeMessage('Meta', new Uint8Array([0x60, 0x01, 0x60, 0x02]))).toEqual({ validExitCodes: [1, 2] });
  });

  it('keeps the last member of a oneof', () => {
    const two = new Uint8Array([...encodeOp({ merge: {} }), ...encodeOp({ diff: {} })]);
    expect(decodeOp(two)).toEqual({ diff: {} });
  });
});

const roundTripTypes: MessageName[] = ['Op', 'Definition', 'OpMetadata', 'Source', 'ExecOp', 'FileOp', 'BuildOp', 'Platform'];

describe('round trip over generated messages', () => {
  for (const name of roundTripTypes) {
    it(`decode(encode(x)) equals x for 200 generated ${name} messages`, () => {
      for (let seed = 1; seed <= 200; seed++) {
        const x = randomMessage(name, seed * 7919 + name.length, { integerLikeKeys: true });
        const bytes = encodeMessage(name, x);
        const back = decodeMessage<object>(name, bytes);
        expect(back, `seed ${seed}`).toEqual(x);
        // And the encoding is canonical: re-encoding the decoded value gives the same bytes.
        expect(hex(encodeMessage(name, back))).toBe(hex(bytes));
      }
    });
  }

  it('gives the same digest for maps built in different orders', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const x = randomMessage('Op', seed, { integerLikeKeys: true });
      const reordered = reverseMaps(x);
      expect(digestOf(encodeOp(reordered))).toBe(digestOf(encodeOp(x)));
    }
  });
});

function reverseMaps(v: unknown): any {
  if (Array.isArray(v)) return v.map(reverseMaps);
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return v;
  const entries = Object.entries(v).reverse();
  return Object.fromEntries(entries.map(([k, x]) => [k, reverseMaps(x)]));
}
