// Mistakes in how a build program uses the State API. Thrown at the call that made them, with
// what was wrong and what to do instead.

export type StateErrorCode = 'empty-args' | 'relative-dir' | 'undefined-state' | 'duplicate-mount' | 'no-mount' | 'mount-has-no-output' | 'invalid-option';

export class StateError extends Error {
  override name = 'StateError';
  readonly code: StateErrorCode;
  constructor(code: StateErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
