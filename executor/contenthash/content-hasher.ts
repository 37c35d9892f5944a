// Content digests of paths in a directory tree, for cache keys that change only when what a step
// reads changes (record.ts has the exact encodings).
//
// Speed: per-entry promises cost far more than the I/O of a small file, so the tree is walked with
// synchronous calls (about 3 µs per stat) and small files are read inline; files over 1 MiB go to
// a pool of worker threads (hash-pool.ts) that read them in chunks while the walk goes on. Files
// whose stat is unchanged since an earlier hash are not read at all (hash-cache.ts).
import type { BigIntStats } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import { PathFilter, Pattern } from '../patterns/index.ts';
import { ChecksumPathError } from './errors.ts';
import { HashCache } from './hash-cache.ts';
import type { ReadElsewhere } from '../../oci/index.ts';
import { HashPool } from './hash-pool.ts';
import { SmallFileReader } from './read-small.ts';
import { dirDigest, EMPTY_DIGEST, fileDigest, headerDigest, selectionDigest } from './record.ts';
import { resolveExisting, splitPath } from '../rootpath/index.ts';
import type { ChecksumOptions, HashStats } from './types.ts';
import { contextWatches, type DirMemo, type WatchedTree } from './tree-watch.ts';

const LARGE_FILE = 1024 * 1024;

/**
 * Small files a hasher reads on the main thread before it sends the rest to the pool in
 * batches: an edit's few files cost no thread hop, a cold context's thousands are read by the
 * pool's threads while the walk goes on.
 */
const INLINE_READS = 64;

type MaybePromise<T> = T | Promise<T>;
type OnFile = NonNullable<ChecksumOptions['onFile']>;

/** Gives the event loop a turn after every `everyMs` of walking (ChecksumOptions.sliceMs). */
class Slicer {
  readonly #everyMs: number;
  #start = performance.now();

  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  get due(): boolean {
    return performance.now() - this.#start >= this.#everyMs;
  }

  pause(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#start = performance.now();
    });
  }
}

/** A watched context (tree-watch.ts) and the generation its walk started at. */
interface Watch {
  readonly tree: WatchedTree;
  readonly generation: number;
}

/** What one checksum call asked for, carried through its walk. */
interface Walk {
  readonly onFile?: OnFile | undefined;
  readonly watch?: Watch | undefined;
  readonly slice?: Slicer | undefined;
}

export interface ContentHasherOptions {
  /** File that remembers content digests across processes; memory only when absent. */
  readonly cacheFile?: string;
  /** Worker threads hashing large files; default: available cores, at most 4. */
  readonly workers?: number;
  /**
   * A file changed less than this long before it was hashed is not trusted from the cache
   * (timestamps are coarse on some filesystems). Default 1000 ms.
   */
  readonly racyWindowMs?: number;
  /** Small files read on the main thread before the rest go to the workers in batches; default INLINE_READS. */
  readonly inlineReads?: number;
}

export class ContentHasher {
  readonly stats: HashStats = { filesRead: 0, bytesRead: 0, cacheHits: 0, dirsRecalled: 0 };
  readonly #cache: HashCache;
  readonly #pool: HashPool;
  /** Small files still to be read on the main thread (then the pool reads them). */
  #inlineLeft: number;
  readonly #reader = new SmallFileReader();

  constructor(options: ContentHasherOptions = {}) {
    this.#cache = new HashCache(options.cacheFile, BigInt(Math.round((options.racyWindowMs ?? 1000) * 1e6)));
    this.#pool = new HashPool(options.workers ?? Math.min(4, availableParallelism()));
    this.#inlineLeft = options.inlineReads ?? INLINE_READS;
  }

  /**
   * The bytes of a small file (`size` when stat'ed) read by the pool's threads in a batch with
   * the others asked for at the time, and the stat of the inode read: for a layer writer
   * writing thousands of context files.
   */
  readSmall(path: string, size: number): Promise<ReadElsewhere> {
    return this.#pool.readSmall(path, size);
  }

  /** Digest of what `options` selects under `root`. */
  async checksum(root: string, options: ChecksumOptions = {}): Promise<Digest> {
    await this.#cache.load();
    const realRoot = await realpath(root);
    const path = options.path ?? '/';
    const filter = new PathFilter({ include: options.include ?? [], exclude: options.exclude ?? [] });
    const followLinks = options.followLinks ?? false;

    // Polled (or opened) before anything under the root is read.
    const tree = options.watch ? contextWatches()?.for(realRoot) : undefined;
    const walk: Walk = {
      onFile: options.onFile,
      watch: tree ? { tree, generation: tree.generation } : undefined,
      slice: options.sliceMs !== undefined ? new Slicer(options.sliceMs) : undefined,
    };
    if (options.wildcard && hasWildcard(path)) {
      const matches = await this.#expand(realRoot, path);
      if (matches.length === 0) return EMPTY_DIGEST;
      const digests: Digest[] = [];
      for (const m of matches) digests.push(await this.#selected(realRoot, m, followLinks, filter, walk));
      if (digests.length === 1) return digests[0]!;
      return selectionDigest(matches.map((m, i) => [m, digests[i]!] as const));
    }
    return this.#selected(realRoot, path, followLinks, filter, walk);
  }

  /**
   * Per-entry digests of what `options` selects under `root`, keyed by path relative to `root`
   * (no leading slash; directories end with `/` and carry only their own header digest, so a
   * changed file shows up once, under its own path). Same selection rules and the same file-hash
   * cache as `checksum`: listing an unchanged tree reads no file. A missing `path` is an error,
   * except with `wildcard`, where no match means an empty manifest.
   */
  async manifest(root: string, options: ChecksumOptions = {}): Promise<Map<string, Digest>> {
    await this.#cache.load();
    const realRoot = await realpath(root);
    const path = options.path ?? '/';
    const filter = new PathFilter({ include: options.include ?? [], exclude: options.exclude ?? [] });
    const wildcard = options.wildcard === true && hasWildcard(path);
    const paths = wildcard ? await this.#expand(realRoot, path) : [path];
    const out: [string, MaybePromise<Digest>][] = [];
    for (const p of paths) {
      const host = await resolveExisting(realRoot, p, { followFinal: options.followLinks ?? false });
      const st = host === undefined ? undefined : tryLstat(host);
      if (host === undefined || st === undefined) {
        if (wildcard) continue;
        throw new ChecksumPathError(p, 'no such file or directory');
      }
      const prefix = posix.normalize(`/${p}`).replace(/^\/+|\/+$/g, '');
      if (!st.isDirectory()) {
        out.push([prefix, this.#entry(host, st, {})]);
        continue;
      }
      if (prefix !== '') out.push([`${prefix}/`, headerDigest(st)]);
      const under = prefix === '' ? '' : `${prefix}/`;
      this.#walk(host, '', filter, out, (r, isDir) => `${under}${r}${isDir ? '/' : ''}`);
    }
    const resolved = await settled(out);
    resolved.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new Map(resolved);
  }

  /** Persists the file-digest cache (atomically). */
  flush(): Promise<void> {
    return this.#cache.flush();
  }

  async #selected(root: string, path: string, followLinks: boolean, filter: PathFilter, walk: Walk): Promise<Digest> {
    const host = await resolveExisting(root, path, { followFinal: followLinks });
    const st = host === undefined ? undefined : tryLstat(host);
    if (host === undefined || st === undefined) throw new ChecksumPathError(path, 'no such file or directory');
    // A symlink followed out of the root is outside what the watches cover.
    const w = walk.watch;
    const inTree = w && (host === w.tree.root || host.startsWith(`${w.tree.root}/`)) ? walk : { ...walk, watch: undefined };
    if (filter.empty || !st.isDirectory()) return this.#entry(host, st, inTree);
    const out: [string, MaybePromise<Digest>][] = [['.', headerDigest(st)]];
    this.#walk(host, '', filter, out, (r) => r, { onFile: walk.onFile });
    const resolved = await settled(out);
    return selectionDigest(resolved.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  /**
   * Walks the selected entries under `dir`, pushing `[key(rel, isDir), digest]` for each: the
   * checksum keys by relative path, the manifest by prefixed path with a `/` on directories.
   */
  #walk(
    dir: string,
    rel: string,
    filter: PathFilter,
    out: [string, MaybePromise<Digest>][],
    key: (rel: string, isDir: boolean) => string,
    walk: Walk = {},
  ): void {
    for (const name of readdirSync(dir)) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const host = join(dir, name);
      const st = lstatSync(host, { bigint: true });
      const selected = filter.selects(childRel);
      if (st.isDirectory()) {
        if (selected) out.push([key(childRel, true), headerDigest(st)]);
        if (selected || filter.descend(childRel)) this.#walk(host, childRel, filter, out, key, walk);
      } else if (selected) {
        out.push([key(childRel, false), this.#entry(host, st, walk)]);
      }
    }
  }

  #entry(host: string, st: BigIntStats, walk: Walk): MaybePromise<Digest> {
    if (st.isFile()) return this.#file(host, st, walk);
    if (st.isSymbolicLink()) return headerDigest(st, readlinkSync(host));
    if (!st.isDirectory()) return headerDigest(st);
    const { onFile, watch, slice } = walk;
    const recalled = watch?.tree.recall(host);
    if (recalled) {
      this.stats.dirsRecalled++;
      if (onFile) for (const [h, s, d] of recalled.files) onFile(h, s, d);
      return recalled.digest;
    }
    const names = readdirSync(host).sort();
    const stats = names.map((name) => lstatSync(join(host, name), { bigint: true }));
    const children: MaybePromise<Digest>[] = [];
    const more = (): MaybePromise<void> => {
      for (let i = children.length; i < names.length; i++) {
        if (slice?.due) return slice.pause().then(more);
        children.push(this.#entry(join(host, names[i]!), stats[i]!, walk));
      }
    };
    const header = headerDigest(st);
    const done = (ds: readonly Digest[]): Digest => {
      const digest = dirDigest(
        header,
        names.map((n, i) => [n, ds[i]!] as const),
      );
      if (watch) watch.tree.remember(host, memoOf(host, names, stats, ds, digest), watch.generation);
      return digest;
    };
    const finish = (): MaybePromise<Digest> =>
      children.every((c) => typeof c === 'string') ? done(children) : Promise.all(children.map((c) => Promise.resolve(c))).then(done);
    const walked = more();
    return walked instanceof Promise ? walked.then(finish) : finish();
  }

  /** A regular file's entry digest, from the cache when its stat is unchanged. */
  #file(host: string, st: BigIntStats, walk: Walk, attempt = 0): MaybePromise<Digest> {
    const cached = this.#cache.get(host, st);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      walk.onFile?.(host, st, cached.digest);
      return cached.digest;
    }
    // Taken before reading, so a change during the read makes the entry racy.
    const hashedAt = BigInt(Date.now()) * 1_000_000n;
    if (st.size > BigInt(LARGE_FILE)) return this.#pool.hash(host).then((r) => this.#verified(host, st, r, hashedAt, walk, attempt));
    if (this.#inlineLeft > 0) {
      this.#inlineLeft--;
      return this.#verified(host, st, this.#reader.read(host, Number(st.size)), hashedAt, walk, attempt);
    }
    return this.#pool.hashSmall(host, Number(st.size)).then((r) => {
      const a = r.after;
      // The inode read is the one stat'ed: its stat serves; otherwise #verified looks again.
      const same = a.size === st.size && a.mtimeNs === st.mtimeNs && a.ctimeNs === st.ctimeNs && a.ino === st.ino;
      return this.#verified(host, st, { ...r, after: same ? st : undefined }, hashedAt, walk, attempt);
    });
  }

  /** Records a file's digest if it did not change while being read; else hashes it again. */
  #verified(
    host: string,
    st: BigIntStats,
    r: { sha: string; bytes: number; after?: BigIntStats | undefined },
    hashedAt: bigint,
    walk: Walk,
    attempt: number,
  ): MaybePromise<Digest> {
    this.stats.filesRead++;
    this.stats.bytesRead += r.bytes;
    const after = r.after ?? tryLstat(host);
    if (after && BigInt(r.bytes) === st.size && sameFile(after, st)) {
      const digest = fileDigest(st, r.sha);
      this.#cache.set(host, st, { sha: r.sha, digest }, hashedAt);
      walk.onFile?.(host, st, digest);
      return digest;
    }
    if (!after || attempt >= 2) throw new ChecksumPathError(host, 'the file changed while it was being hashed');
    return this.#file(host, after, walk, attempt + 1);
  }

  /** Paths (relative to root, `/`-rooted) matching a wildcard path, sorted. */
  async #expand(root: string, path: string): Promise<string[]> {
    let current = ['/'];
    for (const seg of splitPath(path)) {
      const next: string[] = [];
      if (!hasWildcard(seg)) {
        for (const c of current) next.push(posix.join(c, seg));
      } else {
        const pattern = new Pattern(seg, false);
        for (const c of current) {
          const host = await resolveExisting(root, c, { followFinal: true });
          if (host === undefined) continue;
          let names: string[];
          try {
            names = readdirSync(host);
          } catch {
            continue;
          }
          for (const n of names) if (pattern.match(n)) next.push(posix.join(c, n));
        }
      }
      current = next;
    }
    const existing: string[] = [];
    for (const c of current) if ((await resolveExisting(root, c, { followFinal: false })) !== undefined) existing.push(c);
    return existing.sort();
  }
}

/** One-shot digest without a persistent cache. */
export function checksum(root: string, options: ChecksumOptions = {}): Promise<Digest> {
  return new ContentHasher().checksum(root, options);
}

function memoOf(dir: string, names: readonly string[], stats: readonly BigIntStats[], digests: readonly Digest[], digest: Digest): DirMemo {
  const files: [string, BigIntStats, Digest][] = [];
  const dirs: string[] = [];
  names.forEach((n, i) => {
    const st = stats[i]!;
    if (st.isFile()) files.push([join(dir, n), st, digests[i]!]);
    else if (st.isDirectory()) dirs.push(join(dir, n));
  });
  return { digest, files, dirs };
}

function hasWildcard(p: string): boolean {
  return /[*?[\\]/.test(p);
}

function tryLstat(p: string): BigIntStats | undefined {
  try {
    return lstatSync(p, { bigint: true });
  } catch {
    return undefined;
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/**
 * The entries with every digest settled. On a rebuild nearly all are already strings (from the
 * cache): only the pending ones are awaited, not one promise per file of the context.
 */
async function settled(entries: [string, MaybePromise<Digest>][]): Promise<[string, Digest][]> {
  const pending: Promise<void>[] = [];
  for (const e of entries) if (typeof e[1] !== 'string') pending.push(e[1].then((d) => void (e[1] = d)));
  await Promise.all(pending);
  return entries as [string, Digest][];
}
