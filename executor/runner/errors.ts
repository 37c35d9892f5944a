/** The machine cannot run containers: says what to install or how to run. */
export class RunnerUnavailableError extends Error {
  override readonly name = 'RunnerUnavailableError';
}

/** The OCI runtime refused or failed to start the container (bad spec, missing binary in rootfs…). */
export class RunnerStartError extends Error {
  override readonly name = 'RunnerStartError';
  readonly runtimeLog: string;
  constructor(message: string, runtimeLog: string) {
    super(message);
    this.runtimeLog = runtimeLog;
  }
}

/** The user's process ran and exited with a code outside the valid ones. */
export class ProcessFailedError extends Error {
  override readonly name = 'ProcessFailedError';
  readonly args: readonly string[];
  readonly exitCode: number;
  /** The last lines of stdout and stderr, interleaved as written. */
  readonly outputTail: string;
  constructor(args: readonly string[], exitCode: number, outputTail: string) {
    super(`process "${args.join(' ')}" did not complete successfully: exit code: ${exitCode}`);
    this.args = args;
    this.exitCode = exitCode;
    this.outputTail = outputTail;
  }
}

/** The run was aborted through its signal; the container was killed and removed. */
export class RunCanceledError extends Error {
  override readonly name = 'RunCanceledError';
  constructor(args: readonly string[], cause: unknown) {
    super(`process "${args.join(' ')}" was canceled`, { cause });
  }
}

/** The `user` of a process cannot be resolved in the rootfs. */
export class UserResolveError extends Error {
  override readonly name = 'UserResolveError';
}
