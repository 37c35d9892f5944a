// Include/exclude selection for a directory walk (local sources, COPY --exclude, content hashing).
// A path is selected when the include patterns match it or a parent (or there are none) and the
// exclude patterns do not. The walk asks `descend` before entering a directory so excluded trees
// and trees no include can reach are never read.
import { cleanPath } from './clean-path.ts';
import { Pattern } from './pattern.ts';
import { PatternMatcher } from './pattern-matcher.ts';

export interface PathFilterOptions {
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

export class PathFilter {
  readonly #include: PatternMatcher | undefined;
  readonly #exclude: PatternMatcher | undefined;

  constructor(options: PathFilterOptions) {
    const include = new PatternMatcher(options.include ?? []);
    const exclude = new PatternMatcher(options.exclude ?? []);
    this.#include = include.patterns.length > 0 ? include : undefined;
    this.#exclude = exclude.patterns.length > 0 ? exclude : undefined;
  }

  /** True when the filter selects everything. */
  get empty(): boolean {
    return !this.#include && !this.#exclude;
  }

  /** Whether the entry at `rel` (relative, slash-separated) is selected. */
  selects(rel: string): boolean {
    return this.#included(rel) && !this.#excluded(rel);
  }

  /** Whether anything under directory `rel` can be selected. */
  descend(rel: string): boolean {
    if (this.#exclude && !this.#exclude.exclusions && this.#exclude.matchesOrParentMatches(rel)) return false;
    if (!this.#include || this.#include.matchesOrParentMatches(rel)) return true;
    return this.#include.patterns.some((p) => !p.exclusion && couldMatchBelow(p, cleanPath(rel)));
  }

  #included(rel: string): boolean {
    return !this.#include || this.#include.matchesOrParentMatches(rel);
  }

  #excluded(rel: string): boolean {
    return this.#exclude?.matchesOrParentMatches(rel) ?? false;
  }
}

/** Whether `pattern` may match a path strictly below directory `dir`, judging segment by segment. */
function couldMatchBelow(pattern: Pattern, dir: string): boolean {
  const segments = dir.split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = pattern.dirs[i];
    if (seg === undefined) return false;
    if (seg.includes('**')) return true;
    if (!new Pattern(seg, false).match(segments[i]!)) return false;
  }
  return pattern.dirs.length > segments.length;
}
