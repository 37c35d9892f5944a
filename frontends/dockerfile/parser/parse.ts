// Dockerfile text → DockerfileAst. Line handling follows BuildKit's parser: BOM, directives at
// the top, comments dropped (also between continuation lines), the escape character at the end
// of a line continues it, blank continuation lines are skipped with a warning, heredoc bodies
// are read after the line that opens them.
import { DockerfileError, InstructionError, errorMessage } from '../errors.ts';
import { DirectiveScanner } from './directives.ts';
import { trimLeftSpace, trimSpace } from './go-text.ts';
import { chompHeredocContent, heredocsFromLine } from './heredoc.ts';
import * as lp from './line-parsers.ts';
import type { Directive, DockerfileAst, Heredoc, Instruction, ParseWarning } from './node.ts';
import { splitCommand } from './split-command.ts';

const heredocInstructions = new Set(['add', 'copy', 'run']);

interface LineState {
  escapeToken: string;
  continuation: RegExp;
}

function continuationRegex(escape: string): RegExp {
  const e = escape === '\\' ? '\\\\' : escape;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function isComment(line: string): boolean {
  return trimLeftSpace(line).startsWith('#');
}

function trimNewline(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/** Splits text into lines that keep their endings. */
function physicalLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function dispatchArgs(keyword: string, rest: string, state: LineState): { args: string[]; json: boolean; sub?: Instruction } {
  switch (keyword.toLowerCase()) {
    case 'add':
    case 'copy':
    case 'volume':
      return lp.parseMaybeJSONToList(rest);
    case 'arg':
      return { args: lp.parseWords(rest, state.escapeToken), json: false };
    case 'cmd':
    case 'entrypoint':
    case 'run':
    case 'shell':
      return lp.parseMaybeJSON(rest);
    case 'env':
      return lp.parseNameVal(rest, 'ENV', state.escapeToken);
    case 'label':
      return lp.parseNameVal(rest, 'LABEL', state.escapeToken);
    case 'expose':
    case 'from':
      return lp.parseStringsWhitespaceDelimited(rest);
    case 'healthcheck':
      return lp.parseHealthConfig(rest);
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      return lp.parseString(rest);
    case 'onbuild':
      if (rest === '') return { args: [], json: false };
      return { args: [], json: false, sub: nodeFromLine(rest, state, [], 0, 0) };
    default:
      // unknown instructions parse (with one empty argument) and are rejected later
      return { args: [''], json: false };
  }
}

function nodeFromLine(line: string, state: LineState, comments: string[], startLine: number, endLine: number): Instruction {
  const { keyword, flags, rest } = splitCommand(line, state.escapeToken);
  const { args, json, sub } = dispatchArgs(keyword, rest, state);
  return { keyword, flags, args, json, sub, heredocs: [], original: line, comments, startLine, endLine };
}

function canContainHeredoc(node: Instruction): boolean {
  const target = node.keyword.toLowerCase() === 'onbuild' && node.sub ? node.sub : node;
  return heredocInstructions.has(target.keyword.toLowerCase()) && !target.json;
}

/** Parses a Dockerfile. Throws DockerfileError (naming `filename` and the line) on bad input. */
export function parseDockerfile(text: string, filename = 'Dockerfile'): DockerfileAst {
  const lines = physicalLines(text);
  const directives = new DirectiveScanner();
  const state: LineState = { escapeToken: '\\', continuation: continuationRegex('\\') };
  const instructions: Instruction[] = [];
  const warnings: ParseWarning[] = [];
  const fail = (message: string, line: number, endLine?: number): never => {
    throw new DockerfileError(message, { file: filename, line: Math.max(line, 1), endLine });
  };
  let idx = 0;
  let current = 0; // lines consumed so far (1-based number of the last line read)
  let comments: string[] = [];

  // Reads a line as BuildKit's processLine: newline gone, maybe left-trimmed, directive noted,
  // comments blanked.
  const processLine = (raw: string, stripLeft: boolean, lineNo: number): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftSpace(token);
    let d: Directive | undefined;
    try {
      d = directives.scan(token);
    } catch (err) {
      fail(errorMessage(err), lineNo);
    }
    if (d?.name === 'escape') {
      if (d.value !== '`' && d.value !== '\\') fail(`invalid escape token '${d.value}' does not match \` or \\`, lineNo);
      state.escapeToken = d.value;
      state.continuation = continuationRegex(d.value);
    }
    if (d && comments.length > 0) comments.pop();
    return isComment(token) ? '' : token;
  };
  const trimContinuation = (line: string): [string, boolean] => {
    if (state.continuation.test(line)) return [line.replace(state.continuation, '$1'), false];
    return [line, true];
  };

  while (idx < lines.length) {
    let raw = lines[idx++] as string;
    if (current === 0) raw = raw.replace(/^\uFEFF/, '');
    if (isComment(raw)) {
      const c = trimSpace(trimLeftSpace(raw).slice(1));
      if (c === '') comments = [];
      else comments.push(c);
    }
    const first = processLine(raw, true, current + 1);
    current++;
    const startLine = current;
    let [buf, endOfLine] = trimContinuation(first);
    if (endOfLine && buf.length === 0) continue;

    let emptyContinuation = false;
    while (!endOfLine && idx < lines.length) {
      const next = lines[idx++] as string;
      const processed = processLine(next, false, current + 1);
      current++;
      if (isComment(next)) continue;
      if (trimLeftSpace(trimNewline(processed)).length === 0) {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, endOfLine] = trimContinuation(processed);
      buf += part;
    }
    if (emptyContinuation) {
      warnings.push({
        message: `Empty continuation line found in: ${buf}`,
        line: current,
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
      });
    }

    let node: Instruction;
    try {
      node = nodeFromLine(buf, state, comments, startLine, current);
    } catch (err) {
      if (err instanceof InstructionError) fail(err.message, startLine, current);
      throw err;
    }

    if (canContainHeredoc(node) && buf.includes('<<')) {
      const heredocs: Heredoc[] = [];
      for (const doc of heredocsFromLine(buf)) {
        let content = '';
        let terminated = false;
        while (idx < lines.length) {
          const bodyLine = lines[idx++] as string;
          current++;
          let candidate = trimNewline(bodyLine);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += bodyLine;
        }
        if (!terminated) fail(`unterminated heredoc ${doc.name}`, startLine, current);
        heredocs.push({ ...doc, content });
      }
      node = node.sub ? { ...node, sub: { ...node.sub, heredocs } } : { ...node, heredocs };
    }
    if (node.sub) node = { ...node, sub: { ...node.sub, startLine, endLine: current } };
    instructions.push({ ...node, startLine, endLine: current });
    comments = [];
  }

  if (instructions.length === 0) fail('file with no instructions', current);
  return { filename, instructions, directives: directives.found, escapeToken: state.escapeToken, warnings };
}

export { chompHeredocContent };
