export { ContentHasher, checksum } from './content-hasher.ts';
export type { ContentHasherOptions } from './content-hasher.ts';
export type { ChecksumOptions, HashStats } from './types.ts';
export { ChecksumPathError } from './errors.ts';
export { EMPTY_DIGEST, FORMAT as CONTENT_HASH_FORMAT } from './record.ts';
export { statKey } from './hash-cache.ts';
export { watchContexts, forgetContext, TreeWatches, WatchedTree } from './tree-watch.ts';
