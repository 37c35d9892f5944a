// The one error type users see from the Dockerfile frontend: it names the file and the lines
// (and a column when one is known) so the CLI can print `Dockerfile:7: …` and a source snippet.

export interface DockerfileLocation {
  readonly file: string;
  /** 1-based first line of the offending instruction (0 when the file has no lines). */
  readonly line: number;
  /** 1-based last line (equals `line` for a one-line instruction). */
  readonly endLine?: number;
  /** 1-based column inside `line`, when the error points at a specific place. */
  readonly column?: number;
}

export class DockerfileError extends Error {
  override name = 'DockerfileError';
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
  readonly column: number | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(detail: string, location: DockerfileLocation) {
    super(`${location.file}:${location.line}: ${detail}`);
    this.detail = detail;
    this.file = location.file;
    this.line = location.line;
    this.endLine = Math.max(location.endLine ?? location.line, location.line);
    this.column = location.column;
  }
}

/**
 * An error without a location yet: thrown deep inside helpers (flag parsing, expansion) and
 * turned into a DockerfileError by whoever knows which instruction was being handled.
 */
export class InstructionError extends Error {
  override name = 'InstructionError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
