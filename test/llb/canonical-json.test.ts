// Hashed JSON is canonical: one value, one text, whatever order its objects were filled in.
import { describe, expect, it } from 'vitest';
import { canonicalJSON } from '../../llb/index.ts';

describe('canonicalJSON', () => {
  it('sorts object keys at every depth and keeps arrays in order', () => {
    const a = { b: 1, a: { y: [3, { q: 1, p: 2 }], x: 'x' } };
    const b = { a: { x: 'x', y: [3, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJSON(a)).toBe(canonicalJSON(b));
    expect(canonicalJSON(a)).toBe('{"a":{"x":"x","y":[3,{"p":2,"q":1}]},"b":1}');
    expect(canonicalJSON([2, 1])).not.toBe(canonicalJSON([1, 2]));
  });

  it('writes an undefined member as if it were absent', () => {
    expect(canonicalJSON({ a: 1, b: undefined, c: { d: undefined } })).toBe(canonicalJSON({ a: 1, c: {} }));
  });

  it('writes bigints as decimal strings and bytes as base64', () => {
    expect(canonicalJSON({ t: 12345678901234567890n, b: new Uint8Array([1, 2, 3]) })).toBe('{"b":{"base64":"AQID"},"t":"12345678901234567890"}');
  });

  it('refuses a Map or a Set, which plain JSON would write as {} for any content', () => {
    expect(() => canonicalJSON({ m: new Map([[1, 2]]) })).toThrow(TypeError);
    expect(() => canonicalJSON([new Set([1])])).toThrow(TypeError);
  });
});
