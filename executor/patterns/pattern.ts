// One cleaned pattern and how it matches a slash-separated relative path.
//
// Syntax: `*` any run of characters but `/`; `?` one character but `/`; `[...]` a character
// class; `\x` the character x; `**` any number of path segments, including none. Patterns without
// wildcards compare exactly; `dir/**` and `**/name` take fast paths (prefix / suffix) whose
// results are part of the semantics: `**name` matches any path ending in `name`.
import { PatternError } from './errors.ts';

type Kind = 'exact' | 'prefix' | 'suffix' | 'regexp';

const ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

export class Pattern {
  /** The pattern after cleaning, without its `!`. */
  readonly text: string;
  /** Re-includes what earlier patterns matched (written with a leading `!`). */
  readonly exclusion: boolean;
  /** The pattern's segments, for matching against a path's parent directories. */
  readonly dirs: readonly string[];
  readonly #kind: Kind;
  readonly #regexp: RegExp | undefined;

  constructor(text: string, exclusion: boolean) {
    this.text = text;
    this.exclusion = exclusion;
    this.dirs = text.split('/');
    const { kind, source } = compile(text);
    this.#kind = kind;
    if (kind === 'regexp') {
      try {
        this.#regexp = new RegExp(source, 's');
      } catch (e) {
        throw new PatternError(text, (e as Error).message);
      }
    }
    if (hasUnclosedClass(text)) throw new PatternError(text, 'unclosed character class');
  }

  match(path: string): boolean {
    switch (this.#kind) {
      case 'exact':
        return path === this.text;
      case 'prefix':
        return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.#regexp!.test(path);
    }
  }
}

function compile(pattern: string): { kind: Kind; source: string } {
  const chars = [...pattern];
  let source = '^';
  let kind: Kind = 'exact';
  for (let i = 0; i < chars.length; i++) {
    const first = i === 0;
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (kind === 'exact') kind = 'prefix';
          else {
            source += '.*';
            kind = 'regexp';
          }
        } else {
          source += '(.*/)?';
          kind = 'regexp';
        }
        if (first) kind = 'suffix';
      } else {
        source += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (ESCAPED.has(ch)) {
      source += '\\' + ch;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        source += '\\' + chars[++i]!;
        kind = 'regexp';
      } else {
        source += '\\\\';
      }
    } else if (ch === '[' || ch === ']') {
      source += ch;
      kind = 'regexp';
    } else {
      source += ch;
    }
  }
  return { kind, source: source + '$' };
}

function hasUnclosedClass(pattern: string): boolean {
  let open = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '[' && !open) open = true;
    else if (ch === ']' && open) open = false;
  }
  return open;
}
