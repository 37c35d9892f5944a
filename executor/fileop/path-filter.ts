// Include/exclude patterns of a copy, with .dockerignore rules (the patterns module): the last
// pattern matching a path or one of its parent directories decides, `!` re-includes, `**` spans
// directories. Paths are relative to the copied source, without a leading `/`.
import { PatternError, PatternMatcher } from '../patterns/index.ts';
import { FileOpError } from './errors.ts';

export interface PathFilter {
  /** True when the last pattern matching `path` or one of its parents is not a `!` pattern. */
  matches(path: string): boolean;
  /** Some pattern re-includes (`!`): an excluded directory must still be walked. */
  readonly hasExclusions: boolean;
}

export function createPathFilter(patterns: readonly string[]): PathFilter {
  let matcher: PatternMatcher;
  try {
    matcher = new PatternMatcher(patterns);
  } catch (err) {
    if (err instanceof PatternError) throw new FileOpError('invalid', `invalid include/exclude pattern: ${err.message}`);
    throw err;
  }
  return {
    hasExclusions: matcher.exclusions,
    matches: (path) => matcher.matchesOrParentMatches(path),
  };
}
