/** A path selected for hashing does not exist (or leaves the root through `..`). */
export class ChecksumPathError extends Error {
  override readonly name = 'ChecksumPathError';
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
  }
}
