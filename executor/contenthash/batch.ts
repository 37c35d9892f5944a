// How the hash pool hands a batch of files to a worker thread.
/**
 * Files sent at once: their paths joined by NUL (which no path holds) and their sizes. One
 * string and one typed array cost a fraction of what an array of pairs (one string and one
 * array each) costs to pass between threads.
 */
export interface Batch {
  paths: string;
  sizes: Float64Array;
}

export function packBatch(files: readonly { path: string; size: number }[]): Batch {
  const sizes = new Float64Array(files.length);
  files.forEach((f, i) => (sizes[i] = f.size));
  return { paths: files.map((f) => f.path).join('\0'), sizes };
}

export function unpackBatch(b: Batch): [string, number][] {
  return b.paths.split('\0').map((p, i) => [p, b.sizes[i]!]);
}

/** Where each file of a read batch goes in its buffer. */
export function readOffsets(sizes: ArrayLike<number>): number[] {
  const at: number[] = [];
  let next = 0;
  for (let i = 0; i < sizes.length; i++) {
    at.push(next);
    next += sizes[i]! + 1;
  }
  return at;
}
