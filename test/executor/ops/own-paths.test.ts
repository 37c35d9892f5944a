// The build's own paths as exclude patterns of a context: exactly those paths, nothing else.
import { describe, expect, it } from 'vitest';
import { PathFilter } from '../../../executor/index.ts';
import { ownPathPatterns } from '../../../executor/ops/own-paths.ts';

describe('ownPathPatterns', () => {
  it('names only paths strictly inside the context', () => {
    expect(ownPathPatterns('/ctx', ['/ctx/.state', '/ctx/out/dir', '/ctx', '/', '/other/out', '/ctx-sibling'])).toEqual(['.state', 'out/dir']);
  });

  it('excludes a path with wildcard characters or a leading ! literally, and its contents', () => {
    const filter = new PathFilter({ exclude: ownPathPatterns('/ctx', ['/ctx/o*[1]?', '/ctx/!keep']) });
    expect(filter.selects('o*[1]?')).toBe(false);
    expect(filter.selects('o*[1]?/file')).toBe(false);
    expect(filter.selects('!keep')).toBe(false);
    expect(filter.selects('ox1y')).toBe(true); // the pattern unescaped would match it
    expect(filter.selects('o1')).toBe(true);
    expect(filter.selects('keep')).toBe(true);
  });
});
