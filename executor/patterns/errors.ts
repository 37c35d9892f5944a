/** A malformed pattern (e.g. an unclosed `[`), or a lone `!`. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
  readonly pattern: string;
  constructor(pattern: string, reason: string) {
    super(`invalid pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.pattern = pattern;
  }
}
