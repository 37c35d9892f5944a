/** Bad command line: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A mistake in the user's input or environment: printed without a stack, exit code 1. */
export class UserError extends Error {
  override name = 'UserError';
}
