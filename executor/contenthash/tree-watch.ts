// Watched build contexts. In a long-lived process (the build server) every directory of a local
// context gets an inotify watch the first time the context is hashed, before the walk starts.
// The watches are polled, not listened to: when a later build asks for the context's digest, the
// queued events say which directories changed since, and only those (and their ancestors, whose
// digests cover them) are read and stat'ed again; every other directory's digest, and the stats
// of the files in it, come from memory. A build of an unchanged 20,000-file context then stats
// nothing.
//
// What inotify does not see, and what is done about it:
// - a write through another hard link (a file outside the context linked into it): files with
//   more than one link when hashed are lstat'ed on every poll and compared with what was hashed
//   (a file linked from outside only after it was hashed is not: that is a limit of this mode);
// - changes on a network or virtual filesystem made elsewhere: only contexts on local
//   filesystems are watched (statfs), and none with another filesystem mounted inside;
// - a lost event (queue overflow), a directory moved, the root replaced: the tree is opened anew;
// - a directory made while a walk ran, before its watch: it keeps no memo until it is watched;
// - writes through a shared mapping: the layer writer's fstat check fails the build, and the
//   context is forgotten (forgetContext), so the next build walks it.
// TSBUILD_WATCH_CONTEXTS=0 turns watching off.
import { closeSync, lstatSync, readdirSync, statfsSync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import { IN, nativeSys, type NativeSys } from '../../oci/index.ts';
import { statKey } from './hash-cache.ts';

/** What one directory's walk found, kept until an event touches the directory or one below it. */
export interface DirMemo {
  readonly digest: Digest;
  /** The regular files directly inside, as hashed: replayed to the caller's onFile. */
  readonly files: readonly (readonly [host: string, st: BigIntStats, digest: Digest])[];
  /** The directories directly inside (each has a memo of its own while this one is valid). */
  readonly dirs: readonly string[];
}

export interface TreeWatchLimits {
  /** Directories one context may have to be watched. */
  readonly maxDirs: number;
  /** Contexts watched at once; the least recently used one is closed first. */
  readonly maxTrees: number;
  /** Watches of all contexts together (each one is a kernel object other watchers share the limit of). */
  readonly maxWatches: number;
}

const DEFAULT_LIMITS: TreeWatchLimits = { maxDirs: 20_000, maxTrees: 8, maxWatches: 40_000 };

/** statfs magic numbers of local filesystems, where inotify reports every change (linux/magic.h). */
const LOCAL_FILESYSTEMS = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
]);

function localFilesystem(path: string): boolean {
  try {
    return LOCAL_FILESYSTEMS.has(Number(statfsSync(path).type));
  } catch {
    return false;
  }
}

export class WatchedTree {
  readonly root: string;
  readonly #sys: NativeSys;
  readonly #fd: number;
  readonly #dirs = new Map<number, string>();
  /** The directories that have a watch: only these keep memos. */
  readonly #watched = new Set<string>();
  readonly #memos = new Map<string, DirMemo>();
  /** Files with several links, by host path, with the stat key they were hashed with. */
  readonly #multi = new Map<string, string>();
  readonly #rootId: string;
  readonly #dev: bigint;
  readonly #maxDirs: number;
  #broken = false;
  /** Counts polls that changed anything: a walk that a poll overlapped keeps no memo. */
  #generation = 0;

  private constructor(sys: NativeSys, root: string, st: BigIntStats, maxDirs: number) {
    this.#sys = sys;
    this.root = root;
    this.#dev = st.dev;
    this.#rootId = `${st.dev}:${st.ino}`;
    this.#maxDirs = maxDirs;
    this.#fd = sys.inotifyInit();
  }

  /** Watches every directory under `root` (a real path); undefined when it cannot be watched whole. */
  static open(root: string, maxDirs = DEFAULT_LIMITS.maxDirs): WatchedTree | undefined {
    const sys = nativeSys();
    const st = lstatSync(root, { bigint: true, throwIfNoEntry: false });
    if (!sys || !st?.isDirectory() || maxDirs <= 0 || !localFilesystem(root)) return undefined;
    let tree: WatchedTree | undefined;
    try {
      tree = new WatchedTree(sys, root, st, maxDirs);
      if (tree.#watchSubtree(root)) return tree;
    } catch {
      // No inotify instance or watch left (the system's limits): hashed by walking.
    }
    tree?.close();
    return undefined;
  }

  get broken(): boolean {
    return this.#broken;
  }

  get watchedDirs(): number {
    return this.#dirs.size;
  }

  /** Taken before a walk, handed back to `remember`. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Adds a watch to `dir` and every directory below it; false when a limit, a mount point or an
   * unreadable directory stops it. Throws what inotify refuses (its limits).
   */
  #watchSubtree(dir: string): boolean {
    const todo = [dir];
    while (todo.length > 0) {
      const d = todo.pop()!;
      if (this.#dirs.size >= this.#maxDirs) return false;
      const st = lstatSync(d, { bigint: true, throwIfNoEntry: false });
      // Gone already: the event that removed it is queued.
      if (!st?.isDirectory()) continue;
      if (st.dev !== this.#dev) return false;
      let wd: number;
      try {
        wd = this.#sys.inotifyAdd(this.#fd, d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw e;
      }
      this.#dirs.set(wd, d);
      this.#watched.add(d);
      // A memo made before the watch existed may have missed changes.
      this.#memos.delete(d);
      let names;
      try {
        names = readdirSync(d, { withFileTypes: true });
      } catch {
        // Unreadable: what is below cannot be watched, so the tree is walked as before.
        return false;
      }
      for (const e of names) if (e.isDirectory()) todo.push(join(d, e.name));
    }
    return true;
  }

  /**
   * Applies the queued events: every directory an event names, and its ancestors, loses its
   * memo. Then files with several links are checked by stat. False when the tree must be
   * watched anew (events were lost, a directory moved, the root went away or was replaced).
   */
  poll(): boolean {
    if (this.#broken) return false;
    try {
      this.#applyEvents();
    } catch {
      this.#broken = true;
    }
    return !this.#broken;
  }

  #applyEvents(): void {
    const root = lstatSync(this.root, { bigint: true, throwIfNoEntry: false });
    if (!root || `${root.dev}:${root.ino}` !== this.#rootId) {
      this.#broken = true;
      return;
    }
    const events = this.#sys.inotifyRead(this.#fd);
    if (events.length > 0) this.#generation++;
    for (let i = 0; i + 2 < events.length && !this.#broken; i += 3) {
      const wd = events[i] as number;
      const mask = events[i + 1] as number;
      const name = events[i + 2] as string;
      if (mask & (IN.Q_OVERFLOW | IN.MOVE_SELF)) this.#broken = true;
      const dir = this.#dirs.get(wd);
      if (dir === undefined) continue;
      if (mask & IN.IGNORED) {
        this.#dirs.delete(wd);
        this.#watched.delete(dir);
        if (dir === this.root) this.#broken = true;
        continue;
      }
      if (mask & IN.DELETE_SELF && dir === this.root) this.#broken = true;
      const path = name === '' ? dir : join(dir, name);
      this.#invalidate(path);
      if (mask & IN.ISDIR && mask & (IN.CREATE | IN.MOVED_TO) && !this.#watchSubtree(path)) this.#broken = true;
    }
    for (const [host, key] of this.#multi) {
      const st = lstatSync(host, { bigint: true, throwIfNoEntry: false });
      if (!st || statKey(st) !== key) {
        this.#generation++;
        this.#multi.delete(host);
        this.#invalidate(host);
      }
    }
  }

  /** Drops the memo of `path` (when it is a directory) and of every directory above it, up to the root. */
  #invalidate(path: string): void {
    for (let p = path; ; p = dirname(p)) {
      this.#memos.delete(p);
      if (p === this.root || p.length < this.root.length || p === dirname(p)) break;
    }
  }

  /**
   * The memo of `dir` with every file under it, for replaying to onFile; undefined when any
   * directory under it has none.
   */
  recall(dir: string): { digest: Digest; files: DirMemo['files'][number][] } | undefined {
    const top = this.#memos.get(dir);
    if (!top) return undefined;
    const files: DirMemo['files'][number][] = [];
    const todo: DirMemo[] = [top];
    while (todo.length > 0) {
      const m = todo.pop()!;
      for (const f of m.files) files.push(f);
      for (const d of m.dirs) {
        const child = this.#memos.get(d);
        if (!child) return undefined;
        todo.push(child);
      }
    }
    return { digest: top.digest, files };
  }

  /** Keeps what a walk that started at `generation` found, unless a poll has changed anything since or the directory has no watch. */
  remember(dir: string, memo: DirMemo, generation: number): void {
    if (this.#broken || generation !== this.#generation || !this.#watched.has(dir)) return;
    this.#memos.set(dir, memo);
    for (const [host, st] of memo.files) if (st.nlink > 1n) this.#multi.set(host, statKey(st));
  }

  close(): void {
    this.#broken = true;
    this.#memos.clear();
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
  }
}

/** The process's watched contexts, by real path, most recently used last. */
export class TreeWatches {
  readonly #limits: TreeWatchLimits;
  readonly #trees = new Map<string, WatchedTree>();
  /** Roots that could not be watched (too big, a mount inside, not local): not tried again. */
  readonly #unwatchable = new Set<string>();

  constructor(limits: Partial<TreeWatchLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The watched tree of `root`, polled; opened (before the caller walks it) when new or broken. */
  for(root: string): WatchedTree | undefined {
    if (this.#unwatchable.has(root)) return undefined;
    let tree = this.#trees.get(root);
    this.#trees.delete(root);
    if (tree && !tree.poll()) {
      tree.close();
      tree = undefined;
    }
    if (!tree) {
      let used = 0;
      for (const t of this.#trees.values()) used += t.watchedDirs;
      tree = WatchedTree.open(root, Math.min(this.#limits.maxDirs, this.#limits.maxWatches - used));
    }
    if (!tree) {
      this.#unwatchable.add(root);
      return undefined;
    }
    this.#trees.set(root, tree);
    for (const [r, t] of this.#trees) {
      if (this.#trees.size <= this.#limits.maxTrees) break;
      t.close();
      this.#trees.delete(r);
    }
    return tree;
  }

  /** Stops watching `root` (its memory turned out stale): the next build walks it. */
  forget(root: string): void {
    this.#trees.get(root)?.close();
    this.#trees.delete(root);
  }

  close(): void {
    for (const t of this.#trees.values()) t.close();
    this.#trees.clear();
  }
}

let processWatches: TreeWatches | undefined;

/**
 * Turns on watched contexts for this process (a build server, watch mode): every ContentHasher
 * created after this shares them. Off by default: a process that builds once would pay for
 * watches it never polls. TSBUILD_WATCH_CONTEXTS=0 keeps it off.
 */
export function watchContexts(on: boolean): void {
  if (!on || process.env.TSBUILD_WATCH_CONTEXTS === '0') {
    processWatches?.close();
    processWatches = undefined;
    return;
  }
  processWatches ??= new TreeWatches();
}

export function contextWatches(): TreeWatches | undefined {
  return processWatches;
}

/** Forgets a context's watch (see TreeWatches.forget); nothing when contexts are not watched. */
export function forgetContext(root: string): void {
  processWatches?.forget(root);
}
