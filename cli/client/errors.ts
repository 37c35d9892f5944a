// What a failed build throws to a program: typed, with what the CLI shows a user.
import { ExecError } from '../../executor/index.ts';
import type { SolveFailure } from '../../solver/index.ts';

/** The input was wrong (no such file, a Dockerfile that does not parse, a bad output spec…). */
export class BuildInputError extends Error {
  override readonly name = 'BuildInputError';
}

/** A step failed or the build was canceled. */
export class BuildError extends Error {
  override readonly name = 'BuildError';
  /** `vertex-failed`: a step failed; `canceled`: the signal was aborted. */
  readonly reason: SolveFailure['reason'];
  /** The failed step's name (`[2/3] RUN make`), when a step failed. */
  readonly step: string | undefined;
  /** A failed `RUN`'s exit code (undefined when it did not start or was killed). */
  readonly exitCode: number | undefined;
  /** The last lines a failed `RUN` wrote (stdout and stderr as they came). */
  readonly logTail: string;

  constructor(failure: SolveFailure) {
    const cause = failure.reason === 'vertex-failed' ? failure.error : failure.cause;
    super(failure.message, { cause });
    this.reason = failure.reason;
    this.step = failure.reason === 'vertex-failed' ? failure.name : undefined;
    this.exitCode = cause instanceof ExecError ? cause.exitCode : undefined;
    this.logTail = cause instanceof ExecError ? cause.outputTail : '';
  }
}
