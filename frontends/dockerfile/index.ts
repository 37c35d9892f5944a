// The Dockerfile frontend: parser → typed instructions → LLB.
export { parseDockerfile, dumpAst, dumpInstruction, detectSyntax, goQuote } from './parser/index.ts';
export type { DockerfileAst, Instruction, Heredoc, Directive, ParseWarning } from './parser/index.ts';
export { parseInstructions } from './instructions/index.ts';
export type { ParsedDockerfile, Stage, Command } from './instructions/index.ts';
export { DockerfileError } from './errors.ts';
export type { DockerfileLocation } from './errors.ts';
export { dockerfileFrontend, buildContextSource } from './frontend.ts';
export { convertDockerfile } from './convert/convert.ts';
export type { ConvertResult } from './convert/convert.ts';
export type { ConvertOptions } from './convert/options.ts';
export { parseDockerignore } from './convert/dockerignore.ts';
