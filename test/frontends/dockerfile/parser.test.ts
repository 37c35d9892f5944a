import { describe, expect, it } from 'vitest';
import { DockerfileError, dumpAst, goQuote, parseDockerfile } from '../../../frontends/dockerfile/index.ts';
import { detectSyntax } from '../../../frontends/dockerfile/parser/index.ts';

const dump = (text: string) => dumpAst(parseDockerfile(text));
function parseError(text: string): DockerfileError {
  try {
    parseDockerfile(text, 'Dockerfile');
  } catch (err) {
    if (err instanceof DockerfileError) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('goQuote', () => {
  it('quotes like strconv.Quote', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\t\n\r\x07\x08\x0c\x0b')).toBe('"\\t\\n\\r\\a\\b\\f\\v"');
    expect(goQuote('\x00\x1f\x7f')).toBe('"\\x00\\x1f\\x7f"');
    expect(goQuote('♥ é /')).toBe('"♥ é /"');
    expect(goQuote('\u00a0\u0085')).toBe('"\\u00a0\\u0085"');
    expect(goQuote('\u{e0001}')).toBe('"\\U000e0001"');
  });
});

describe('lines', () => {
  it('strips a BOM, handles CRLF and continuations', () => {
    expect(dump('\uFEFFFROM a\r\nRUN echo \\\r\n  hi\r\n')).toBe('(from "a")\n(run "echo   hi")');
  });
  it('drops comments inside continuations and warns on empty continuation lines', () => {
    const ast = parseDockerfile('FROM a\nRUN a \\\n# note\n\n  b\n');
    expect(dumpAst(ast)).toBe('(from "a")\n(run "a   b")');
    expect(ast.warnings).toHaveLength(1);
    expect(ast.instructions[1]).toMatchObject({ startLine: 2, endLine: 5 });
  });
  it('records line ranges', () => {
    const ast = parseDockerfile('\n\nFROM a\n\nRUN x \\\n y\nCMD z\n');
    expect(ast.instructions.map((n) => [n.startLine, n.endLine])).toEqual([
      [3, 3],
      [5, 6],
      [7, 7],
    ]);
  });
  it('extracts flags, quotes removed, -- ends them', () => {
    expect(dump('FROM a\nCOPY --from="x y" --link -- --foo /b\n')).toBe('(from "a")\n(copy ["--from=x y" "--link"] "--foo" "/b")');
  });
  it('keeps unknown instructions with one empty argument', () => {
    expect(dump('FROM a\nCOPPY x y\n')).toBe('(from "a")\n(coppy "")');
  });
  it('nests ONBUILD', () => {
    expect(dump('FROM a\nONBUILD COPY --from=x a b\n')).toBe('(from "a")\n(onbuild (copy ["--from=x"] "a" "b"))');
  });
});

describe('directives', () => {
  it('sets the escape token', () => {
    const ast = parseDockerfile('# escape=`\nFROM a\nRUN dir c:\\ `\n  d\n');
    expect(ast.escapeToken).toBe('`');
    expect(dumpAst(ast)).toBe('(from "a")\n(run "dir c:\\\\   d")');
    expect(ast.directives.map((d) => d.name)).toEqual(['escape']);
  });
  it('rejects a repeated directive with its line', () => {
    const err = parseError('# syntax=a\n# syntax=b\nFROM a\n');
    expect(err.message).toBe('Dockerfile:2: only one syntax parser directive can be used');
    expect(err.line).toBe(2);
  });
  it('ignores directives after the first other line', () => {
    const ast = parseDockerfile('# hello\n# escape=`\nFROM a\n');
    expect(ast.escapeToken).toBe('\\');
    expect(ast.directives).toEqual([]);
  });
  it('rejects a bad escape token', () => {
    expect(parseError('# escape=x\nFROM a\n').message).toMatch(/^Dockerfile:1: invalid escape token 'x'/);
  });
  it('detects syntax in several forms', () => {
    expect(detectSyntax('# syntax=docker/dockerfile:1 foo\nFROM a')).toBe('docker/dockerfile:1');
    expect(detectSyntax('#!/bin/x\n// syntax = ./f.ts\n')).toBe('./f.ts');
    expect(detectSyntax('{"syntax": "x"}')).toBe('x');
    expect(detectSyntax('FROM a\n# syntax=x')).toBeUndefined();
  });
});

describe('heredocs', () => {
  it('reads bodies for RUN without printing them', () => {
    const ast = parseDockerfile('FROM a\nRUN <<EOF\necho hi\necho there\nEOF\nRUN x\n');
    expect(dumpAst(ast)).toBe('(from "a")\n(run "<<EOF")\n(run "x")');
    expect(ast.instructions[1]?.heredocs).toEqual([{ name: 'EOF', content: 'echo hi\necho there\n', expand: true, chomp: false, fileDescriptor: 0 }]);
    expect(ast.instructions[1]).toMatchObject({ startLine: 2, endLine: 5 });
  });
  it('handles several heredocs, quoted words, chomping and fds', () => {
    const ast = parseDockerfile('FROM a\nCOPY <<A <<"B" /dest\na\nA\nb $x\nB\nRUN 3<<-END cat\n\tz\n\tEND\n');
    const [, copy, run] = ast.instructions;
    expect(copy?.heredocs.map((h) => [h.name, h.content, h.expand])).toEqual([
      ['A', 'a\n', true],
      ['B', 'b $x\n', false],
    ]);
    expect(run?.heredocs[0]).toMatchObject({ name: 'END', chomp: true, fileDescriptor: 3, content: '\tz\n' });
  });
  it('supports heredocs under ONBUILD', () => {
    const ast = parseDockerfile('FROM a\nONBUILD RUN <<EOF\nx\nEOF\n');
    expect(ast.instructions[1]?.sub?.heredocs[0]?.content).toBe('x\n');
  });
  it('does not read heredocs in JSON form or for other instructions', () => {
    expect(dump('FROM a\nRUN ["cat", "<<EOF"]\nCMD <<EOF\n')).toBe('(from "a")\n(run "cat" "<<EOF")\n(cmd "<<EOF")');
  });
  it('fails on an unterminated heredoc', () => {
    const err = parseError('FROM a\nRUN <<EOF\necho\n');
    expect(err.message).toBe('Dockerfile:2: unterminated heredoc EOF');
    expect(err.endLine).toBe(3);
  });
});

describe('errors', () => {
  it('rejects an empty file', () => {
    expect(parseError('').message).toBe('Dockerfile:1: file with no instructions');
    expect(parseError('# only\n\n# comments\n').message).toBe('Dockerfile:3: file with no instructions');
  });
  it('rejects nested JSON and ENV without value', () => {
    expect(parseError('FROM a\nCMD ["a", ["b"]]\n').message).toBe('Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only');
    expect(parseError('FROM a\nENV PATH\n').message).toBe('Dockerfile:2: ENV must have two arguments');
  });
});
