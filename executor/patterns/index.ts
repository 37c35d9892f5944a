export { cleanPath } from './clean-path.ts';
export { PatternError } from './errors.ts';
export { parseIgnoreFile } from './ignore-file.ts';
export { Pattern } from './pattern.ts';
export { PatternMatcher, matchesPatterns } from './pattern-matcher.ts';
export type { MatchInfo } from './pattern-matcher.ts';
export { PathFilter } from './path-filter.ts';
export type { PathFilterOptions } from './path-filter.ts';
