// The file side of watch mode: chokidar over exactly the files a build reads. The set is
// replaced after every build, since an edit to build.ts may change what the build reads.
import { watch, type FSWatcher } from 'chokidar';
import { relative, sep } from 'node:path';

export interface WatchedContext {
  /** Absolute directory of a local source. */
  readonly root: string;
  /** Relative-path predicate: true when the build does not read that path. */
  readonly ignores: (relPath: string, isDir: boolean) => boolean;
}

export interface WatchSet {
  /** Individual files: the build description, its imported modules, ignore files. */
  readonly files: readonly string[];
  readonly contexts: readonly WatchedContext[];
  /** Absolute paths tsbuild writes (state root, outputs): nothing at or under them is watched. */
  readonly ignored?: readonly string[];
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** Watches a WatchSet; `onChange` gets the absolute path of each relevant change. */
export class FileWatch {
  #watcher: FSWatcher | undefined;
  readonly #onChange: (path: string) => void;

  constructor(onChange: (path: string) => void) {
    this.#onChange = onChange;
  }

  /**
   * Replaces what is watched. The new watcher is ready before the old one closes: an edit made
   * while the new one scans (a large context takes a while) is still seen by the old one, never
   * lost between the two.
   */
  async set(set: WatchSet): Promise<void> {
    const contexts = set.contexts;
    const files = new Set(set.files);
    const own = set.ignored ?? [];
    const ignored = (path: string, stats?: { isDirectory(): boolean }): boolean => {
      if (files.has(path)) return false;
      if (own.some((o) => under(path, o))) return true;
      for (const ctx of contexts) {
        if (path === ctx.root) return false;
        if (path.startsWith(ctx.root + sep)) {
          const rel = relative(ctx.root, path).split(sep).join('/');
          return ctx.ignores(rel, stats?.isDirectory() ?? false);
        }
      }
      return !files.has(path);
    };
    const watcher = watch([...files, ...contexts.map((c) => c.root)], {
      ignoreInitial: true,
      ignored,
      // Editors write via rename; atomic keeps one change event per save.
      atomic: true,
    });
    watcher.on('all', (_event, path) => this.#onChange(path));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    const old = this.#watcher;
    this.#watcher = watcher;
    await old?.close();
  }

  /** Number of paths chokidar watches (for the status line). */
  watchedCount(): number {
    const watched = this.#watcher?.getWatched() ?? {};
    let n = 0;
    for (const entries of Object.values(watched)) n += entries.length;
    return n;
  }

  async close(): Promise<void> {
    const w = this.#watcher;
    this.#watcher = undefined;
    await w?.close();
  }
}
