export interface GlobalOptions {
  /** Show stack traces with errors. */
  readonly debug: boolean;
}

/** A CLI command: parses its own arguments, returns the process exit code. */
export interface Command {
  run(argv: string[], global: GlobalOptions): Promise<number>;
}
