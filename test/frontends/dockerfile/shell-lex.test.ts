import { describe, expect, it } from 'vitest';
import { envFromMap, processWord, processWords } from '../../../frontends/dockerfile/shell/lex.ts';

const env = envFromMap({ A: 'a', EMPTY: '', PATHV: '/usr/local/bin/app.tar.gz', SP: 'x y' });
const w = (s: string) => processWord(s, env).result;

describe('variable expansion', () => {
  it('substitutes plain and braced names', () => {
    expect(w('$A-${A}-$UNSET-${UNSET}')).toBe('a-a--');
    expect(w('$')).toBe('$');
    expect(w('a$1b')).toBe('ab');
  });
  it('supports default and alternative values', () => {
    expect(w('${UNSET:-def} ${EMPTY:-def} ${EMPTY-def} ${A:-def}')).toBe('def def  a');
    expect(w('${A:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${UNSET+alt}')).toBe('alt  alt ');
    expect(() => w('${UNSET:?must be set}')).toThrow(/UNSET: must be set/);
  });
  it('trims prefixes and suffixes and replaces', () => {
    expect(w('${PATHV#*/} ${PATHV##*/} ${PATHV%.*} ${PATHV%%.*}')).toBe('usr/local/bin/app.tar.gz app.tar.gz /usr/local/bin/app.tar /usr/local/bin/app');
    expect(w('${PATHV/local/opt} ${SP// /_}')).toBe('/usr/opt/bin/app.tar.gz x_y');
  });
  it('handles quotes and escapes', () => {
    expect(w(`'$A' "$A" \\$A "\\$A" "a\\"b"`)).toBe('$A a $A $A a"b');
    expect(processWord('`$A', env, { escapeToken: '`' }).result).toBe('$A');
  });
  it('reports syntax errors', () => {
    expect(() => w('${')).toThrow(/missing '}'/);
    expect(() => w('"abc')).toThrow(/matching double-quote/);
    expect(() => w('${:}')).toThrow(/bad substitution/);
  });
  it('splits words after expansion, keeping quoted spaces', () => {
    expect(processWords('$SP "$SP" z', env)).toEqual(['x', 'y', 'x y', 'z']);
  });
  it('tracks which variables were used', () => {
    const r = processWord('$A $NOPE', env);
    expect([...r.matched]).toEqual(['A']);
    expect([...r.unmatched]).toEqual(['NOPE']);
  });
});
