// Heredoc words (`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`) in RUN, COPY and ADD lines.
import { emptyEnv, processWords } from '../shell/index.ts';
import type { Heredoc } from './node.ts';

const heredocWord = /^(\d*)<<(-?)\s*([^<]*)$/;

/** The heredoc a single word opens, or undefined when the word is not one. */
export function parseHeredoc(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = heredocWord.exec(word);
  if (!m) return undefined;
  const rest = m[3] ?? '';
  if (rest === '') return undefined;
  const plain = processWords(rest, emptyEnv, { skipUnsetEnv: true });
  if (plain.length !== 1) return undefined;
  const raw = processWords(rest, emptyEnv, { skipUnsetEnv: true, rawQuotes: true });
  const name = plain[0] as string;
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name,
    // a quoted word (any part of it) means the body is not expanded
    expand: quotes(name) === quotes(raw[0] ?? ''),
    chomp: m[2] === '-',
    fileDescriptor: m[1] ? Number.parseInt(m[1], 10) : 0,
  };
}

/** All heredocs opened on an instruction line, in order. */
export function heredocsFromLine(line: string): Omit<Heredoc, 'content'>[] {
  let words: string[];
  try {
    words = processWords(line, emptyEnv, { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  } catch {
    words = [];
  }
  const docs: Omit<Heredoc, 'content'>[] = [];
  for (const w of words) {
    const d = parseHeredoc(w);
    if (d) docs.push(d);
  }
  return docs;
}

/** `<<-` bodies lose leading tabs on every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
