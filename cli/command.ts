export interface GlobalOptions {
  /** Show stack traces with errors. */
  readonly debug: boolean;
  /** Aborts the command's work (set when a build server runs it for a client that was interrupted). */
  readonly signal?: AbortSignal;
}

/** A CLI command: parses its own arguments, returns the process exit code. */
export interface Command {
  run(argv: string[], global: GlobalOptions): Promise<number>;
}
