export { parseDockerfile } from './parse.ts';
export { dumpAst, dumpInstruction } from './dump.ts';
export { detectSyntax } from './directives.ts';
export { parseHeredoc, chompHeredocContent } from './heredoc.ts';
export { parseWords } from './line-parsers.ts';
export { goQuote, isSpace } from './go-text.ts';
export type { DockerfileAst, Instruction, Heredoc, Directive, ParseWarning } from './node.ts';
