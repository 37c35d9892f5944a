export interface ChecksumOptions {
  /** Path inside the root to hash; default `/` (the whole tree). */
  readonly path?: string;
  /** With `wildcard`, `path` may hold `*`, `?` and `[...]` in any segment; all matches are hashed. */
  readonly wildcard?: boolean;
  /** Follow a symlink at the end of `path` (symlinks before it are always followed, inside the root). */
  readonly followLinks?: boolean;
  /** `.dockerignore`-style patterns relative to `path`: only matching entries count. */
  readonly include?: readonly string[];
  /** `.dockerignore`-style patterns relative to `path`: matching entries do not count. */
  readonly exclude?: readonly string[];
}

/** Work done since the hasher was made: what reuse saved, for tests and benchmarks. */
export interface HashStats {
  /** Regular files whose bytes were read. */
  filesRead: number;
  bytesRead: number;
  /** Regular files whose content digest came from the cache. */
  cacheHits: number;
}
