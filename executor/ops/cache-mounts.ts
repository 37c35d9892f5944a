// Persistent cache mounts (`RUN --mount=type=cache`): one directory per id under
// `<root>/cache-mounts/`, kept across builds and never part of a layer.
//   shared  — every run uses the same directory at once;
//   locked  — runs take turns (in this process);
//   private — a run that finds the directory busy gets another one (`data-1`, `data-2`…), also kept.
// A new cache directory starts with the contents of the mount's source, when it has one.
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheSharingOpt } from '../../llb/index.ts';
import { sha256Hex } from './cache-digest.ts';

export interface CacheMountLease {
  path: string;
  release(): void;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export class CacheMounts {
  readonly #dir: string;
  readonly #inUse = new Map<string, number>();
  readonly #locks = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.#dir = join(root, 'cache-mounts');
  }

  /** `seed` gives a directory whose contents initialise a cache dir that does not exist yet. */
  async acquire(id: string, sharing: CacheSharingOpt, seed?: () => Promise<{ path: string; release(): Promise<void> } | undefined>): Promise<CacheMountLease> {
    const base = join(this.#dir, sha256Hex(id).slice(0, 32));
    let releaseLock: (() => void) | undefined;
    if (sharing === CacheSharingOpt.LOCKED) {
      const prev = this.#locks.get(base) ?? Promise.resolve();
      let unlock!: () => void;
      const mine = new Promise<void>((r) => (unlock = r));
      const chained = prev.then(() => mine);
      this.#locks.set(base, chained);
      await prev;
      releaseLock = () => {
        unlock();
        if (this.#locks.get(base) === chained) this.#locks.delete(base);
      };
    }
    let path = join(base, 'data');
    if (sharing === CacheSharingOpt.PRIVATE) {
      for (let n = 1; (this.#inUse.get(path) ?? 0) > 0; n++) path = join(base, `data-${n}`);
    }
    try {
      await this.#create(path, seed);
    } catch (e) {
      releaseLock?.();
      throw e;
    }
    this.#inUse.set(path, (this.#inUse.get(path) ?? 0) + 1);
    let done = false;
    return {
      path,
      release: () => {
        if (done) return;
        done = true;
        this.#inUse.set(path, (this.#inUse.get(path) ?? 1) - 1);
        releaseLock?.();
      },
    };
  }

  async #create(path: string, seed?: () => Promise<{ path: string; release(): Promise<void> } | undefined>): Promise<void> {
    if (await exists(path)) return;
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = `${path}.new-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { mode: 0o755 });
    try {
      const from = seed ? await seed() : undefined;
      if (from) {
        try {
          await cp(from.path, tmp, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        } finally {
          await from.release();
        }
      }
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      // Another run created it first: use theirs.
      if (!(await exists(path))) throw e;
    }
  }
}
