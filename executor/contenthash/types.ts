import type { BigIntStats } from 'node:fs';
import type { Digest } from '../../llb/index.ts';
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
  /**
   * Called with every regular file that went into the digest: its host path, the stat it was
   * hashed (or found in the cache) with, and its entry digest. Lets a caller check later that
   * what it reads is what the digest covered. Not part of the digest.
   */
  readonly onFile?: (host: string, st: BigIntStats, digest: Digest) => void;
  /**
   * The root is a build context that stays where it is: when this process watches contexts
   * (tree-watch.ts), its directories are watched and their digests kept between builds.
   */
  readonly watch?: boolean;
  /**
   * Walk in slices of about this many milliseconds, giving the event loop a turn between them:
   * a context hashed early, while other steps start, must not hold them up.
   */
  readonly sliceMs?: number;
}

/** Work done since the hasher was made: what reuse saved, for tests and benchmarks. */
export interface HashStats {
  /** Regular files whose bytes were read. */
  filesRead: number;
  bytesRead: number;
  /** Regular files whose content digest came from the cache. */
  cacheHits: number;
  /** Directories whose digest came from a watched context's memory, without a walk. */
  dirsRecalled: number;
}
