// The parse tree of a Dockerfile: a flat list of instructions. Arguments are kept as the
// parser split them (quotes and escapes intact); meaning is given later by instructions/.

export interface Heredoc {
  /** The terminator word, quotes removed. */
  readonly name: string;
  /** File descriptor before `<<` (`2<<EOF`), 0 when absent. */
  readonly fileDescriptor: number;
  /** False when any part of the word was quoted: the body is taken literally. */
  readonly expand: boolean;
  /** `<<-`: leading tabs are stripped from the body (and the terminator line). */
  readonly chomp: boolean;
  /** Body lines with their line endings, without the terminator line. */
  readonly content: string;
}

export interface Instruction {
  /** The keyword as written (`from`, `FROM`, `Run`…). */
  readonly keyword: string;
  /** Leading `--name[=value]` words, quotes removed. */
  readonly flags: readonly string[];
  /** Arguments in the shape of BuildKit's Node chain (see line-parsers.ts). */
  readonly args: readonly string[];
  /** ONBUILD's wrapped instruction. */
  readonly sub?: Instruction;
  /** The arguments came from a JSON array (exec form). */
  readonly json: boolean;
  readonly heredocs: readonly Heredoc[];
  /** The instruction text after joining continuation lines. */
  readonly original: string;
  /** Comment lines right above the instruction (without `#`). */
  readonly comments: readonly string[];
  /** 1-based line range in the file, heredoc bodies included. */
  readonly startLine: number;
  readonly endLine: number;
}

export interface Directive {
  readonly name: 'syntax' | 'escape' | 'check';
  readonly value: string;
  readonly line: number;
}

export interface ParseWarning {
  readonly message: string;
  readonly line: number;
  readonly url?: string;
}

export interface DockerfileAst {
  readonly filename: string;
  readonly instructions: readonly Instruction[];
  readonly directives: readonly Directive[];
  readonly escapeToken: string;
  readonly warnings: readonly ParseWarning[];
}
