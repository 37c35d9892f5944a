// Docker's `.dockerignore` matching. Patterns apply in order and the last one that matches wins:
// a plain pattern selects, a `!pattern` takes back. A path is also selected when one of its parent
// directories is, so `build` covers everything under `build/`.
import { cleanPath } from './clean-path.ts';
import { PatternError } from './errors.ts';
import { Pattern } from './pattern.ts';

/** Per-pattern results for a directory, to match its children without re-checking parents. */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

export class PatternMatcher {
  readonly patterns: readonly Pattern[];
  /** Whether any pattern starts with `!`; without one, a matched directory can be skipped whole. */
  readonly exclusions: boolean;

  constructor(patterns: readonly string[]) {
    const out: Pattern[] = [];
    for (const raw of patterns) {
      const trimmed = raw.trim();
      if (trimmed === '') continue;
      let p = cleanPath(trimmed);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new PatternError(raw, 'a lone "!" excludes nothing');
        exclusion = true;
        p = p.slice(1);
      }
      out.push(new Pattern(p, exclusion));
    }
    this.patterns = out;
    this.exclusions = out.some((p) => p.exclusion);
  }

  /** Whether `path` or one of its parent directories is matched (the rule for ignore files). */
  matchesOrParentMatches(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const parents = parentDirs(file);
    let matched = false;
    for (const pattern of this.patterns) {
      // A selecting pattern cannot change a selected path, nor a re-including one an unselected path.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      if (!match) match = parents.some((dir) => pattern.match(dir));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * Like matchesOrParentMatches, but reuses what the parent directory's call returned: for walks
   * that visit a directory before its children. Pass `undefined` for a top-level entry.
   */
  matchesUsingParentResults(path: string, parent: MatchInfo | undefined): { matched: boolean; info: MatchInfo } {
    const file = cleanPath(path);
    const parentMatched = parent?.parentMatched;
    if (parentMatched && parentMatched.length !== this.patterns.length) {
      throw new Error('MatchInfo comes from a different PatternMatcher');
    }
    const now: boolean[] = [];
    let matched = false;
    this.patterns.forEach((pattern, i) => {
      let match = parentMatched?.[i] ?? false;
      if (!match && pattern.exclusion === matched) {
        match = pattern.match(file);
        if (!match && !parentMatched) match = parentDirs(file).some((dir) => pattern.match(dir));
      }
      now.push(match);
      if (match) matched = !pattern.exclusion;
    });
    return { matched, info: { parentMatched: now } };
  }
}

/** `a/b/c` → [`a`, `a/b`]. */
function parentDirs(file: string): string[] {
  const parts = file.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** One-shot form: whether `path` is matched by `patterns` (ignore-file rules). */
export function matchesPatterns(path: string, patterns: readonly string[]): boolean {
  return new PatternMatcher(patterns).matchesOrParentMatches(path);
}
