import { describe, expect, it } from 'vitest';
import { cleanPath, matchesPatterns, parseIgnoreFile, PathFilter, PatternError, PatternMatcher } from '../../../executor/patterns/index.ts';

describe('cleanPath', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['a//b/./c/', 'a/b/c'],
    ['a/../b', 'b'],
    ['../a', '../a'],
    ['a/../..', '..'],
    ['/../a', '/a'],
    ['/', '/'],
    ['./', '.'],
  ])('%j → %j', (input, want) => {
    expect(cleanPath(input)).toBe(want);
  });
});

// [patterns, path, matched]
const table: [string[], string, boolean][] = [
  // exact names and parent-directory matching
  [['node_modules'], 'node_modules', true],
  [['node_modules'], 'node_modules/x/y.js', true],
  [['node_modules'], 'src/node_modules', false],
  [['src/gen'], 'src/gen/a.ts', true],
  [['src/gen'], 'src/generated', false],
  [['a/./b/'], 'a/b/c', true],
  [['x/../y'], 'y/z', true],
  // `*` stays within a segment
  [['*.log'], 'app.log', true],
  [['*.log'], 'logs/app.log', false],
  [['*/temp*'], 'somedir/temporary.txt', true],
  [['*/temp*'], 'somedir/temp', true],
  [['*/temp*'], 'temp', false],
  [['*/temp*'], 'a/b/temp', false],
  [['*/*/temp*'], 'a/b/temporary.txt', true],
  [['*/*/temp*'], 'a/temporary.txt', false],
  // `?` is one character, never `/`
  [['temp?'], 'tempa', true],
  [['temp?'], 'temp', false],
  [['temp?'], 'tempab', false],
  [['a?b'], 'a/b', false],
  // `**` spans any number of segments, including none
  [['**/*.go'], 'main.go', true],
  [['**/*.go'], 'cmd/x/main.go', true],
  [['**/*.go'], 'main.go.txt', false],
  [['a/**/b'], 'a/b', true],
  [['a/**/b'], 'a/x/y/b', true],
  [['a/**/b'], 'a/x/y/bc', false],
  [['a/**'], 'a/x', true],
  [['a/**'], 'a/x/y', true],
  [['**'], 'anything/at/all', true],
  [['**/vendor'], 'vendor', true],
  [['**/vendor'], 'x/vendor/y', true],
  [['**/vendor'], 'x/myvendor', false],
  // character classes and escapes
  [['file[0-9].txt'], 'file7.txt', true],
  [['file[0-9].txt'], 'filex.txt', false],
  [['file[^0-9].txt'], 'filex.txt', true],
  [['a.b'], 'axb', false],
  [['a\\*b'], 'a*b', true],
  [['a\\*b'], 'axb', false],
  [['(x)|{y}$'], '(x)|{y}$', true],
  // a leading slash is not stripped by the matcher itself (the ignore-file parser does that)
  [['/foo'], 'foo', false],
  // order: the last matching pattern wins
  [['*.md', '!README.md'], 'README.md', false],
  [['*.md', '!README.md'], 'CHANGES.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
  [['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', false],
  [['docs', '!docs/keep.md'], 'docs/keep.md', false],
  [['docs', '!docs/keep.md'], 'docs/other.md', true],
  [['!x'], 'x', false],
  // re-including a directory re-includes what is under it
  [['*', '!src'], 'src/a/b.ts', false],
  [['*', '!src'], 'README', true],
  // whitespace around patterns is ignored; blank patterns are skipped
  [['  build  ', ''], 'build/out', true],
  // the root itself is never matched
  [['**'], '.', false],
];

describe('PatternMatcher', () => {
  it.each(table)('%j matches %j: %s', (patterns, path, want) => {
    expect(matchesPatterns(path, patterns)).toBe(want);
  });

  it('gives the same answers incrementally, parents first', () => {
    for (const [patterns, path, want] of table) {
      if (path === '.') continue;
      const m = new PatternMatcher(patterns);
      let info;
      let matched = false;
      const parts = cleanPath(path).split('/');
      for (let i = 1; i <= parts.length; i++) {
        const r = m.matchesUsingParentResults(parts.slice(0, i).join('/'), info);
        info = r.info;
        matched = r.matched;
      }
      expect([patterns, path, matched]).toEqual([patterns, path, want]);
    }
  });

  it('reports whether exclusions exist', () => {
    expect(new PatternMatcher(['a', 'b']).exclusions).toBe(false);
    expect(new PatternMatcher(['a', '!b']).exclusions).toBe(true);
  });

  it('rejects a lone "!" and malformed classes', () => {
    expect(() => new PatternMatcher(['!'])).toThrow(PatternError);
    expect(() => new PatternMatcher(['file[0-9'])).toThrow(/invalid pattern "file\[0-9"/);
  });
});

describe('parseIgnoreFile', () => {
  it('skips comments and blank lines, trims, cleans, and drops a leading slash', () => {
    const text = '\uFEFF# comment\n\n  *.log  \n/build/\n!  /build/keep \n  # not a comment\r\na//b/../c\n/\n';
    expect(parseIgnoreFile(text)).toEqual(['*.log', 'build', '!build/keep', '# not a comment', 'a/c', '/']);
  });

  it('feeds the matcher: a leading slash in the file anchors nothing extra', () => {
    const patterns = parseIgnoreFile('/tmp\n*.o\n!keep.o\n');
    expect(matchesPatterns('tmp/x', patterns)).toBe(true);
    expect(matchesPatterns('a.o', patterns)).toBe(true);
    expect(matchesPatterns('keep.o', patterns)).toBe(false);
  });
});

describe('PathFilter', () => {
  it('selects by include and exclude, excludes winning', () => {
    const f = new PathFilter({ include: ['src', '*.json'], exclude: ['src/**/*.test.ts'] });
    expect(f.selects('src/a.ts')).toBe(true);
    expect(f.selects('src/x/a.test.ts')).toBe(false);
    expect(f.selects('package.json')).toBe(true);
    expect(f.selects('README.md')).toBe(false);
  });

  it('prunes directories nothing can be selected under', () => {
    const f = new PathFilter({ include: ['src/*/index.ts'], exclude: ['node_modules'] });
    expect(f.descend('src')).toBe(true);
    expect(f.descend('src/pkg')).toBe(true);
    expect(f.descend('docs')).toBe(false);
    expect(f.descend('src/pkg/deeper')).toBe(false);
    expect(new PathFilter({ exclude: ['node_modules'] }).descend('node_modules')).toBe(false);
    // a re-include may reach inside an excluded directory, so it must be walked
    expect(new PathFilter({ exclude: ['node_modules', '!node_modules/keep'] }).descend('node_modules')).toBe(true);
    expect(new PathFilter({ include: ['**/*.go'] }).descend('a/b/c')).toBe(true);
    expect(new PathFilter({}).empty).toBe(true);
  });
});
