import { describe, expect, it } from 'vitest';
import { CACHE_KEY_VERSION, contentKey, definitionKey, parseCacheKey } from '../../solver/index.ts';
import { sha } from './fakes.ts';

const op = sha('op');
const k1 = definitionKey(sha('root'), 0, []);

describe('cache keys', () => {
  it('are pinned: a format change must bump CACHE_KEY_VERSION and this golden value', () => {
    expect(CACHE_KEY_VERSION).toBe(3);
    // sha256 of the canonical JSON (keys sorted) of the payload
    expect(k1).toBe(sha(`{"inputs":[],"kind":"definition","op":"${sha('root')}","output":0,"v":3}`));
  });

  it('change with every semantic field', () => {
    const base = definitionKey(op, 0, [{ key: k1, selector: '/src' }]);
    expect(definitionKey(op, 0, [{ key: k1, selector: '/src' }])).toBe(base);
    expect(definitionKey(sha('other'), 0, [{ key: k1, selector: '/src' }])).not.toBe(base);
    expect(definitionKey(op, 1, [{ key: k1, selector: '/src' }])).not.toBe(base);
    expect(definitionKey(op, 0, [{ key: k1, selector: '/other' }])).not.toBe(base);
    expect(definitionKey(op, 0, [{ key: k1 }])).not.toBe(base);
    expect(definitionKey(op, 0, [{ key: definitionKey(sha('x'), 0, []), selector: '/src' }])).not.toBe(base);
    expect(definitionKey(op, 0, [{ key: k1, selector: '/src' }, { key: k1 }])).not.toBe(base);
  });

  it('keep definition and content key spaces apart', () => {
    expect(contentKey(sha('root'), 0, [])).not.toBe(k1);
    const c = contentKey(op, 0, [{ content: sha('files') }]);
    expect(contentKey(op, 0, [{ content: sha('files'), selector: '/a' }])).not.toBe(c);
    expect(contentKey(op, 0, [{ result: sha('files') }])).not.toBe(c);
  });

  it('parse only well-formed keys', () => {
    expect(parseCacheKey(k1)).toBe(k1);
    expect(parseCacheKey('sha256:xyz')).toBeUndefined();
    expect(parseCacheKey('nope')).toBeUndefined();
  });
});
