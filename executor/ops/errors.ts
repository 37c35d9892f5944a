// Errors ops report to users: what failed, where, and what to do about it.

/** A source cannot be read: unknown scheme, missing context, bad checksum, failed download… */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** A RUN failed: the runner's message, followed by the last lines of the process's output. */
export class ExecError extends Error {
  override readonly name = 'ExecError';
  readonly exitCode: number | undefined;
  readonly outputTail: string;
  constructor(message: string, exitCode: number | undefined, outputTail: string, options?: ErrorOptions) {
    super(outputTail.trim() === '' ? message : `${message}\n${indentTail(outputTail)}`, options);
    this.exitCode = exitCode;
    this.outputTail = outputTail;
  }
}

function indentTail(tail: string): string {
  return tail
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `  > ${l}`)
    .join('\n');
}

/** A secret or ssh socket the build asks for was not given. */
export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';
}

/** The graph asks for something this executor does not do (an op kind, a mount type…). */
export class UnsupportedOpError extends Error {
  override readonly name = 'UnsupportedOpError';
}
