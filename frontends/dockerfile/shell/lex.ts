// The shell-word lexer Docker uses for variable expansion in Dockerfile instructions:
// `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`, `${VAR?msg}`,
// `${VAR#pat}`, `${VAR%pat}` (and `##`, `%%`), `${VAR/pat/repl}`, `${VAR//pat/repl}`, single and
// double quotes, and the escape character. It is not a shell: no globbing, no command
// substitution, no arithmetic.
import { isSpace } from '../parser/index.ts';

/** Variables visible to an expansion. */
export interface EnvLookup {
  get(name: string): string | undefined;
}

export interface LexOptions {
  readonly escapeToken?: string;
  /** Keep quote characters in the output. */
  readonly rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  readonly rawEscapes?: boolean;
  /** Treat quotes as ordinary characters. */
  readonly skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  readonly skipUnsetEnv?: boolean;
}

export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

export interface WordResult {
  readonly result: string;
  readonly words: string[];
  /** Variable names that were looked up and found / not found. */
  readonly matched: Set<string>;
  readonly unmatched: Set<string>;
}

const EOF = '';

export function envFromMap(map: ReadonlyMap<string, string> | Readonly<Record<string, string>>): EnvLookup {
  if (map instanceof Map) return { get: (k) => (map as ReadonlyMap<string, string>).get(k) };
  const rec = map as Readonly<Record<string, string>>;
  return { get: (k) => (Object.hasOwn(rec, k) ? rec[k] : undefined) };
}

export const emptyEnv: EnvLookup = { get: () => undefined };

/** Expands one word (quotes removed, variables substituted). */
export function processWord(word: string, env: EnvLookup, opts: LexOptions = {}): WordResult {
  return new Scanner(word, env, opts).run(true);
}

/** Expands and splits into words on unquoted white space (the form used for ADD/COPY sources…). */
export function processWords(word: string, env: EnvLookup, opts: LexOptions = {}): string[] {
  return new Scanner(word, env, opts).run(false).words;
}

class Words {
  buf = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.buf.length > 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else this.addRawChar(ch);
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Scanner {
  private readonly chars: string[];
  private pos = 0;
  private readonly escape: string;
  private rawEscapes: boolean;
  private readonly matched = new Set<string>();
  private readonly unmatched = new Set<string>();
  private readonly source: string;
  private readonly env: EnvLookup;
  private readonly opts: LexOptions;

  constructor(source: string, env: EnvLookup, opts: LexOptions) {
    this.source = source;
    this.env = env;
    this.opts = opts;
    this.chars = Array.from(source);
    this.escape = opts.escapeToken ?? '\\';
    this.rawEscapes = opts.rawEscapes ?? false;
  }

  run(_capture: boolean): WordResult {
    try {
      const { result, words } = this.stopOn(EOF, this.rawEscapes);
      return { result, words, matched: this.matched, unmatched: this.unmatched };
    } catch (err) {
      if (err instanceof ShellSyntaxError) {
        throw new ShellSyntaxError(`failed to process ${JSON.stringify(this.source)}: ${err.message}`);
      }
      throw err;
    }
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  private next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }

  private stopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new Words();
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { result, words: words.finish() };
        }
        let special: string | undefined;
        if (ch === '$') special = this.dollar();
        else if (ch === '<') special = this.possibleHeredoc();
        else if (!this.opts.skipProcessQuotes && ch === "'") special = this.singleQuote();
        else if (!this.opts.skipProcessQuotes && ch === '"') special = this.doubleQuote();
        if (special !== undefined) {
          result += special;
          if (ch === '$') words.addString(special);
          else words.addRawString(special);
          continue;
        }
        let c = this.next();
        if (c === this.escape) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          c = this.next();
          if (c === EOF) break;
          words.addRawChar(c);
        } else words.addChar(c);
        result += c;
      }
      if (stop !== EOF) throw new ShellSyntaxError(`unexpected end of statement while looking for matching ${stop}`);
      return { result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private singleQuote(): string {
    let out = '';
    const open = this.next();
    if (this.opts.rawQuotes) out += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ShellSyntaxError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) out += ch;
        return out;
      }
      out += ch;
    }
  }

  private doubleQuote(): string {
    let out = '';
    const open = this.next();
    if (this.opts.rawQuotes) out += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new ShellSyntaxError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const ch = this.next();
        if (this.opts.rawQuotes) out += ch;
        return out;
      }
      if (p === '$') {
        out += this.dollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) out += ch;
        const n = this.peek();
        if (n === EOF) continue;
        if (n === '"' || n === '$' || n === this.escape) ch = this.next();
      }
      out += ch;
    }
  }

  private lookup(name: string): string | undefined {
    const v = this.env.get(name);
    if (v === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return v;
  }

  private name(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === '' && /^\p{Nd}$/u.test(ch)) {
        while (this.peek() !== EOF && /^\p{Nd}$/u.test(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && '@*#?-$!0'.includes(ch)) return this.next();
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.next();
    }
    return name;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const v = this.lookup(name);
      if (v === undefined && this.opts.skipUnsetEnv) return '$' + name;
      return v ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ShellSyntaxError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ShellSyntaxError('syntax error: bad substitution');
    const name = this.name();
    let ch = this.next();
    let mod = ch;
    let nullIsUnset = false;
    switch (ch) {
      case '}': {
        const v = this.lookup(name);
        if (v === undefined && this.opts.skipUnsetEnv) return '${' + name + '}';
        return v ?? '';
      }
      case ':':
        nullIsUnset = true;
        ch = this.next();
        mod += ch;
      // falls through
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        const patternMod = ch === '#' || ch === '%';
        if (nullIsUnset && patternMod) throw new ShellSyntaxError(`unsupported modifier (${mod}) in substitution`);
        let word: string;
        try {
          word = this.stopOn('}', patternMod).result;
        } catch (err) {
          if (this.peek() === EOF) throw new ShellSyntaxError("syntax error: missing '}'");
          throw err;
        }
        const v = this.lookup(name);
        if (v === undefined && this.opts.skipUnsetEnv) return '${' + name + mod + word + '}';
        const unset = v === undefined || (nullIsUnset && v === '');
        switch (ch) {
          case '-':
            return unset ? word : (v ?? '');
          case '+':
            return unset ? '' : word;
          case '?':
            if (v === undefined) throw new ShellSyntaxError(`${name}: ${word || 'is not allowed to be unset'}`);
            if (nullIsUnset && v === '') throw new ShellSyntaxError(`${name}: ${word || 'is not allowed to be empty'}`);
            return v;
          case '%':
          case '#': {
            let greedy = false;
            if (word.startsWith(ch)) {
              greedy = true;
              word = word.slice(1);
            }
            return ch === '%' ? trimSuffix(word, v ?? '', greedy) : trimPrefix(word, v ?? '', greedy);
          }
          default:
            throw new ShellSyntaxError(`unsupported modifier (${mod}) in substitution`);
        }
      }
      case '/': {
        const all = this.peek() === '/';
        if (all) this.next();
        let pattern: string;
        let replacement: string;
        try {
          pattern = this.stopOn('/', true).result;
        } catch (err) {
          if (this.peek() === EOF) throw new ShellSyntaxError("syntax error: missing '/' in ${}");
          throw err;
        }
        try {
          replacement = this.stopOn('}', true).result;
        } catch (err) {
          if (this.peek() === EOF) throw new ShellSyntaxError("syntax error: missing '}'");
          throw err;
        }
        const v = this.lookup(name);
        if (v === undefined && this.opts.skipUnsetEnv) return '${' + name + '/' + pattern + '/' + replacement + '}';
        const re = patternToRegex(pattern, true, false, all);
        return (v ?? '').replace(re, () => replacement);
      }
      default:
        throw new ShellSyntaxError(`unsupported modifier (${mod}) in substitution`);
    }
  }

  private possibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\n' || this.peek() === '\r') space += this.next();
    return '<<' + space;
  }
}

function patternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? '^' : '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const tok = chars[i] as string;
    if (tok === '*') out += greedy ? '.*' : '.*?';
    else if (tok === '?') out += '.';
    else if (tok === '\\') {
      const n = chars[i + 1];
      if (n === '}' || n === '/') continue;
      i++;
      if (n !== '*' && n !== '?' && n !== '\\') throw new ShellSyntaxError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`);
      out += '\\' + n;
    } else out += tok.replace(/[[\]{}.+()|^$]/g, '\\$&');
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

function reversePattern(pattern: string): string {
  const p = Array.from(pattern);
  const out: string[] = new Array<string>(p.length);
  const last = p.length - 1;
  for (let i = 0; i <= last;) {
    const tok = p[i] as string;
    const o = last - i;
    if (tok === '\\' && i !== last) {
      out[o - 1] = tok;
      out[o] = p[i + 1] as string;
      i += 2;
    } else {
      out[o] = tok;
      i++;
    }
  }
  return out.join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const rev = (s: string) => Array.from(s).reverse().join('');
  return rev(trimPrefix(reversePattern(pattern), rev(value), greedy));
}
