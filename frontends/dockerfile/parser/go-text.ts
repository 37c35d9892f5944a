// Go's notions of white space and quoting, so that the AST dump matches BuildKit's byte for byte.

const whiteSpace = /^\p{White_Space}$/u;

/** Go `unicode.IsSpace`: the Unicode White_Space property. */
export function isSpace(ch: string): boolean {
  return whiteSpace.test(ch);
}

/** Go `strings.TrimLeftFunc(s, unicode.IsSpace)`. */
export function trimLeftSpace(s: string): string {
  return s.replace(/^\p{White_Space}+/u, '');
}

/** Go `strings.TrimSpace`. */
export function trimSpace(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const namedEscapes: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
};

/** Go `strconv.Quote`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp < 0x80) {
      if (cp >= 0x20 && cp < 0x7f) out += ch;
      else out += namedEscapes[cp] ?? '\\x' + cp.toString(16).padStart(2, '0');
    } else if (printable.test(ch)) out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** Go `fmt.Sprintf("%q", []string{…})`. */
export function goQuoteList(list: readonly string[]): string {
  return '[' + list.map(goQuote).join(' ') + ']';
}
