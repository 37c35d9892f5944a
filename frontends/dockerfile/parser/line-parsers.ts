// Per-instruction argument splitting, the shapes BuildKit's parser produces (and its AST dump
// prints). No variable expansion happens here.
import { InstructionError } from '../errors.ts';
import { isSpace, trimLeftSpace } from './go-text.ts';
import { whitespaceRun } from './split-command.ts';

export interface LineArgs {
  args: string[];
  json: boolean;
}

const none = (): LineArgs => ({ args: [], json: false });

export class NotStringArrayError extends InstructionError {}

/**
 * Splits on white space but keeps quoted sections and escaped characters together; the quotes
 * and escape characters themselves stay in the words.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let word = '';
  for (let i = 0; i <= chars.length; i++) {
    const atEnd = i === chars.length;
    let ch = chars[i] ?? '';
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (i + 1 === chars.length) continue;
        word += ch;
        i++;
        ch = chars[i] ?? '';
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escapeToken && quote !== "'") {
      if (i + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      i++;
      word += ch;
      ch = chars[i] ?? '';
    }
    word += ch;
  }
  return words;
}

function splitOnce(rest: string): string[] {
  const m = whitespaceRun.exec(rest);
  if (!m) return [rest];
  return [rest.slice(0, m.index), rest.slice(m.index + m[0].length)];
}

/** ENV and LABEL: `k=v …` gives (k, v, '=') triples; legacy `k v…` gives (k, 'v…', ''). */
export function parseNameVal(rest: string, key: string, escapeToken: string): LineArgs {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return none();
  if (!(words[0] as string).includes('=')) {
    const parts = splitOnce(rest);
    if (parts.length < 2) throw new InstructionError(`${key} must have two arguments`);
    return { args: [parts[0] as string, parts[1] as string, ''], json: false };
  }
  const args: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new InstructionError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    }
    args.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return { args, json: false };
}

export function parseStringsWhitespaceDelimited(rest: string): LineArgs {
  if (rest === '') return none();
  return { args: rest.split(whitespaceRun), json: false };
}

export function parseString(rest: string): LineArgs {
  return rest === '' ? none() : { args: [rest], json: false };
}

/** A JSON array of strings, or undefined when `rest` is not JSON at all. */
export function parseJSON(rest: string): LineArgs | undefined {
  const text = trimLeftSpace(rest);
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) {
    throw new NotStringArrayError('when using JSON array syntax, arrays must be comprised of strings only');
  }
  return { args: value, json: true };
}

export function parseMaybeJSON(rest: string): LineArgs {
  if (rest === '') return none();
  return parseJSON(rest) ?? { args: [rest], json: false };
}

export function parseMaybeJSONToList(rest: string): LineArgs {
  return parseJSON(rest) ?? parseStringsWhitespaceDelimited(rest);
}

/** HEALTHCHECK: the type word (`CMD`, `NONE`, …), then the rest like CMD. */
export function parseHealthConfig(rest: string): LineArgs {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep] as string)) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest[next] as string)) next++;
  if (sep === 0) return none();
  const cmd = parseMaybeJSON(rest.slice(next));
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
}
