import { afterAll, describe, expect, it } from 'vitest';
import { globToRegExp, resolveWildcards, splitWildcards, containsWildcards } from '../../../executor/fileop/wildcards.ts';
import { createPathFilter } from '../../../executor/fileop/path-filter.ts';
import { parseModeString } from '../../../executor/fileop/symbolic-mode.ts';
import { FileOpError } from '../../../executor/fileop/index.ts';
import { cleanupTemp, makeTree, tempDir } from './helpers.ts';

afterAll(cleanupTemp);

describe('wildcards', () => {
  it('detects and splits wildcard paths', () => {
    expect(containsWildcards('a*')).toBe(true);
    expect(containsWildcards('a\\*')).toBe(false);
    expect(containsWildcards('[ab]')).toBe(true);
    expect(splitWildcards('/src/*/x.go')).toEqual({ fixed: '/src', pattern: ['*', 'x.go'] });
    expect(splitWildcards('/a/b')).toEqual({ fixed: '/a/b', pattern: [] });
  });

  it('matches one component with shell rules', () => {
    expect(globToRegExp('*.txt').test('a.txt')).toBe(true);
    expect(globToRegExp('*.txt').test('a.txt.bak')).toBe(false);
    expect(globToRegExp('?.c').test('ab.c')).toBe(false);
    expect(globToRegExp('[a-c]x').test('bx')).toBe(true);
    expect(globToRegExp('[^a-c]x').test('bx')).toBe(false);
    expect(globToRegExp('[!a-c]x').test('dx')).toBe(true);
    expect(globToRegExp('a\\*').test('a*')).toBe(true);
    expect(globToRegExp('a\\*').test('ab')).toBe(false);
    expect(() => globToRegExp('[ab')).toThrow(FileOpError);
  });

  it('expands against a tree, sorted, a matching directory being one match', async () => {
    const root = await makeTree(await tempDir(), {
      'src/b.txt': '',
      'src/a.txt': '',
      'src/c.md': '',
      'src/d.txt/inner.txt': '',
      'src/sub/x.go': '',
      'src/sub2/x.go': '',
      'src/sub2/y.go': '',
      lnk: { link: '/src' },
    });
    expect(await resolveWildcards(root, '/src/*.txt', false)).toEqual(['/src/a.txt', '/src/b.txt', '/src/d.txt']);
    expect(await resolveWildcards(root, '/src/*/x.go', false)).toEqual(['/src/sub/x.go', '/src/sub2/x.go']);
    expect(await resolveWildcards(root, '/nope/*', false)).toEqual([]);
    expect(await resolveWildcards(root, '/lnk/*.md', true)).toEqual(['/lnk/c.md']);
    expect(await resolveWildcards(root, '/src/a.txt', false)).toEqual(['/src/a.txt']);
  });
});

describe('include/exclude filters', () => {
  it('uses the last matching pattern, parents included, with ! and **', () => {
    const f = createPathFilter(['*.go', '!main.go', 'vendor', '**/*.md']);
    expect(f.matches('a.go')).toBe(true);
    expect(f.matches('main.go')).toBe(false);
    expect(f.matches('sub/a.go')).toBe(false);
    expect(f.matches('vendor/x/y.c')).toBe(true);
    expect(f.matches('docs/deep/readme.md')).toBe(true);
    expect(f.matches('readme.md')).toBe(true);
    expect(f.hasExclusions).toBe(true);
    expect(createPathFilter(['a']).hasExclusions).toBe(false);
  });
});

describe('chmod modes', () => {
  it('applies octal and symbolic modes', () => {
    expect(parseModeString('755')(0o644, false)).toBe(0o755);
    expect(parseModeString('0600')(0o777, true)).toBe(0o600);
    expect(parseModeString('u+x')(0o644, false)).toBe(0o744);
    expect(parseModeString('+x')(0o644, false)).toBe(0o755);
    expect(parseModeString('u+x,g-w')(0o664, false)).toBe(0o744);
    expect(parseModeString('go-rwx')(0o755, false)).toBe(0o700);
    expect(parseModeString('a=r')(0o777, false)).toBe(0o444);
    expect(parseModeString('a=rX')(0o600, true)).toBe(0o555);
    expect(parseModeString('a=rX')(0o600, false)).toBe(0o444);
    expect(parseModeString('a=rX')(0o700, false)).toBe(0o555);
    expect(parseModeString('g=u')(0o740, false)).toBe(0o770);
    expect(parseModeString('u+s')(0o755, false)).toBe(0o4755);
    expect(parseModeString('g+s,o+t')(0o755, true)).toBe(0o3755);
    expect(parseModeString('u=rw,go=')(0o777, false)).toBe(0o600);
    expect(parseModeString('u+rw-x')(0o100, false)).toBe(0o600);
  });

  it('refuses malformed modes clearly', () => {
    expect(() => parseModeString('u+q')).toThrow(/invalid chmod mode "u\+q"/);
    expect(() => parseModeString('999')).toThrow(FileOpError);
    expect(() => parseModeString('')).toThrow(FileOpError);
  });
});
