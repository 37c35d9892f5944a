// `cp -a` of one source path (file, symlink or directory tree) to one destination path, with the
// options of an LLB copy: owner, mode or symbolic mode, fixed timestamp, include/exclude filters
// and replacing existing paths of another type. Symlinks below the top are copied as links and
// never followed, on either side, so a walk cannot leave its two roots. Hard links between files
// of the copied set stay hard links.
//
// Include filters are applied lazily: a directory that does not match itself is created only
// once something under it matches (so `a/*/c` creates `a/b` only if `a/b/c` exists).
import { constants, lstatSync, type BigIntStats } from 'node:fs';
import { chmod, copyFile, link, lstat, lutimes, mkdir, readdir, readlink, rm, stat, symlink, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { AsyncMemo } from '../../llb/index.ts';
import type { Owner } from './owner.ts';
import type { ModeChange } from './symbolic-mode.ts';
import type { PathFilter } from './path-filter.ts';
import { FileOpError } from './errors.ts';
import { pathInRoot } from '../rootpath/index.ts';
import { setOwner } from './file-meta.ts';

export interface CopyTreeOptions {
  /** Host directory of the source tree (for paths in messages and the read hook). */
  srcRoot: string;
  dstRoot: string;
  /** `--chown`: every copied path gets this owner. */
  owner?: Owner | undefined;
  /** Owner given to copied paths when there is no `owner` (else they keep the source's). */
  sourceOwner?: Owner | undefined;
  /** Octal mode replacing each path's permission and special bits. */
  mode?: number | undefined;
  /** Symbolic mode applied to each path's own mode; wins over `mode`. */
  modeChange?: ModeChange | undefined;
  /** Seconds since the epoch given to every copied path; else the source's times are kept. */
  time?: number | undefined;
  include?: PathFilter | undefined;
  exclude?: PathFilter | undefined;
  /** A source path replaces an existing destination path of another type instead of failing. */
  alwaysReplace?: boolean | undefined;
  /** Called with each regular file's stat (path inside the source) just before it is read. */
  onSourceFile?: ((path: string, st: BigIntStats) => void | Promise<void>) | undefined;
  /**
   * Called after onSourceFile for each regular file about to be copied to `target` (which does
   * not exist), with the metadata the copy would give it. Returning true means the caller put an
   * identical file there itself (a hard link to an immutable copy made earlier): its inode is
   * shared, so nothing here changes its metadata.
   */
  placeFile?: ((path: string, st: BigIntStats, target: string, meta: TargetMeta) => boolean | Promise<boolean>) | undefined;
  /**
   * The stat of a regular file (path inside the source) as the caller already has it, taken
   * instead of an lstat. Only with placeFile, whose files are read (and checked) by the caller.
   */
  knownStat?: ((path: string) => BigIntStats | undefined) | undefined;
}

/** What a copied regular file ends up with (times in seconds since the epoch). */
export interface TargetMeta {
  uid: number;
  gid: number;
  /** Permission and special bits. */
  mode: number;
  mtime: number;
}

/** A directory whose creation waits until something under it is included. */
interface PendingDir {
  src: string;
  dst: string;
}

/** false: it existed; 'clean': created; 'setgid': created, inheriting a setgid parent's group. */
type DirCreated = false | 'clean' | 'setgid';

const euid = process.geteuid?.() ?? -1;
const egid = process.getegid?.() ?? -1;
const privileged = euid === 0;

/** Regular files copied at once: enough to keep the file-system thread pool busy. */
const FILE_CONCURRENCY = 16;

export class TreeCopier {
  readonly #o: CopyTreeOptions;
  /** First copy of each multiply-linked source inode: later ones link to it once it is done. */
  readonly #inodes = new AsyncMemo<string, string>();
  /** Held-back directories (by source and target) created so far, or being created. */
  readonly #dirsMade = new AsyncMemo<string, void>();
  /** Directories known to exist already: every file below one would otherwise wait on its memo. */
  readonly #dirsDone = new WeakSet<PendingDir>();
  /** Targets placed by `placeFile`: shared inodes whose metadata must not be touched. */
  readonly #placed = new Set<string>();
  #active = 0;
  #waiting: Array<() => void> = [];
  #waitingHead = 0;

  constructor(options: CopyTreeOptions) {
    this.#o = options;
  }

  /** Copies host path `src` to host path `dst` (both already resolved inside their roots). */
  copy(src: string, dst: string): Promise<void> {
    return this.#copy(src, '', dst, false, [], false);
  }

  /**
   * `fresh`: `target`'s parent was created empty by this copy without an inherited setgid bit,
   * so `target` does not exist and a new entry gets the builder's own uid and gid. That spares
   * the lstat, chown and chmod calls that dominate copying many small files.
   */
  async #copy(src: string, rel: string, target: string, overwriteTargetMeta: boolean, pending: readonly PendingDir[], fresh: boolean): Promise<void> {
    const o = this.#o;
    let include = true;
    let excluded = false;
    if (rel !== '') {
      if (o.include) include = o.include.matches(rel);
      if (o.exclude?.matches(rel)) {
        include = false;
        excluded = true;
      }
      // Nothing below can come back in: no need to even look at it.
      if (!include && !o.include && !o.exclude?.hasExclusions) return;
    }
    // With placeFile most files are links, not data copies: there is no I/O to overlap, and a
    // synchronous lstat costs a fraction of a promise round trip.
    const srcPath = o.placeFile ? pathInRoot(o.srcRoot, src) : undefined;
    const known = srcPath !== undefined && o.knownStat ? o.knownStat(srcPath) : undefined;
    const st = known ?? (o.placeFile ? lstatSync(src, { bigint: true }) : await lstat(src, { bigint: true }));
    const isDir = st.isDirectory();
    if (!include && !isDir) return;

    let targetSt = fresh ? undefined : await lstatOrUndefined(target);
    if (include) {
      if (o.alwaysReplace && targetSt && !(isDir && targetSt.isDirectory())) {
        await rm(target, { recursive: true, force: true });
        targetSt = undefined;
      }
      if (pending.some((d) => !this.#dirsDone.has(d))) await this.#createPendingDirs(pending, overwriteTargetMeta);
    }

    if (isDir) {
      const created = await this.#copyDir(src, rel, target, overwriteTargetMeta, include, excluded, pending);
      if (!include) return;
      if (overwriteTargetMeta || created) await this.#copyMeta(st, target);
      else if (targetSt) await this.#copyTimes(st, target);
      return;
    }

    if (srcPath !== undefined && st.isFile() && st.nlink === 1n && !targetSt) {
      await this.#offer(srcPath, st, src, target, fresh);
      return;
    }
    await this.#slot(() => this.#copyLeaf(st, src, target, targetSt, fresh));
  }

  /**
   * A single-link file offered to the caller's placeFile (a link to an earlier result's copy, an
   * entry of a layer) takes no slot: nothing is copied here, and a slot and the leaf's own
   * promises cost more than placing it (a 20,000-file context copy is mostly this). Synchronous
   * while the caller's hooks are; a file the caller declines is copied in a slot.
   */
  #offer(srcPath: string, st: BigIntStats, src: string, target: string, fresh: boolean): void | Promise<void> {
    const o = this.#o;
    const offer = (): boolean | Promise<boolean> => o.placeFile!(srcPath, st, target, this.#targetMeta(st));
    const after = (placed: boolean): void | Promise<void> => {
      if (placed) this.#placed.add(target);
      else return this.#slot(() => this.#copyLeaf(st, src, target, undefined, fresh, true));
    };
    const checked = o.onSourceFile?.(srcPath, st);
    if (checked instanceof Promise) return checked.then(offer).then(after);
    const placed = offer();
    return placed instanceof Promise ? placed.then(after) : after(placed);
  }

  /**
   * The whole copy of one entry when it can be done without a promise: a single-link file in a
   * fresh directory of a copy without filters, placed by the caller. true: done; false: not
   * such an entry (nothing was called, the caller copies it); a promise: the rest of its copy.
   */
  #placeNow(src: string, target: string, pending: readonly PendingDir[], fresh: boolean): boolean | Promise<void> {
    const o = this.#o;
    if (!o.placeFile || !fresh || o.include || o.exclude || pending.some((d) => !this.#dirsDone.has(d))) return false;
    const srcPath = pathInRoot(o.srcRoot, src);
    const st = o.knownStat?.(srcPath) ?? lstatSync(src, { bigint: true });
    if (!st.isFile() || st.nlink !== 1n) return false;
    const rest = this.#offer(srcPath, st, src, target, fresh);
    return rest ?? true;
  }

  /** `offered`: onSourceFile and placeFile have seen this file already, and placeFile declined it. */
  async #copyLeaf(st: BigIntStats, src: string, target: string, targetSt: BigIntStats | undefined, fresh: boolean, offered = false): Promise<void> {
    const o = this.#o;
    if (targetSt) {
      if (targetSt.isDirectory()) {
        const p = pathInRoot(o.dstRoot, target);
        throw new FileOpError('is-a-directory', `cannot replace directory ${p} with a file`, p);
      }
      await unlink(target);
    }
    if (st.isFile()) {
      const place = async (): Promise<string> => {
        if (offered) {
          await copyFile(src, target, constants.COPYFILE_FICLONE);
          return target;
        }
        const path = pathInRoot(o.srcRoot, src);
        const checked = o.onSourceFile?.(path, st);
        if (checked instanceof Promise) await checked;
        let placed = o.placeFile?.(path, st, target, this.#targetMeta(st)) ?? false;
        if (placed instanceof Promise) placed = await placed;
        if (placed) this.#placed.add(target);
        else await copyFile(src, target, constants.COPYFILE_FICLONE);
        return target;
      };
      // A multiply-linked inode is placed once; its other names link to that first target.
      const first = st.nlink > 1n ? await this.#inodes.get(`${st.dev}:${st.ino}`, place) : await place();
      if (first !== target) await link(first, target);
      if (this.#placed.has(first)) return;
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(src), target);
    } else if (st.isSocket()) {
      return; // a socket is only meaningful to a running process: an image has no use for it
    } else {
      const what = st.isFIFO() ? 'named pipe' : 'device file';
      const p = pathInRoot(o.srcRoot, src);
      throw new FileOpError('unsupported', `cannot copy ${p}: copying a ${what} is not supported`, p);
    }
    await this.#copyMeta(st, target, fresh);
  }

  /** Runs leaf work with at most FILE_CONCURRENCY at once (directories never hold a slot). */
  async #slot(work: () => Promise<void>): Promise<void> {
    if (this.#active >= FILE_CONCURRENCY) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      await work();
    } finally {
      this.#active--;
      const next = this.#waiting[this.#waitingHead];
      if (next) {
        this.#waiting[this.#waitingHead++] = noop;
        if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
          this.#waiting = this.#waiting.slice(this.#waitingHead);
          this.#waitingHead = 0;
        }
        next();
      }
    }
  }

  async #copyDir(
    src: string,
    rel: string,
    dst: string,
    overwriteTargetMeta: boolean,
    include: boolean,
    excluded: boolean,
    pending: readonly PendingDir[],
  ): Promise<DirCreated> {
    const self: PendingDir = { src, dst };
    let created: DirCreated = false;
    if (include) {
      created = await this.#ensureDir(dst);
      this.#dirsMade.set(`${src}\0${dst}`, undefined);
      this.#dirsDone.add(self);
    }
    if (excluded && !this.#o.exclude?.hasExclusions) return created;
    const below = [...pending, self];
    const names = (await readdir(src)).sort();
    // Siblings run together; every one is waited for before an error is reported, so nothing
    // is still writing when the caller cleans up. Most are done without a promise (#placeNow).
    const running: Promise<void>[] = [];
    let error: { reason: unknown } | undefined;
    for (const name of names) {
      const childSrc = join(src, name);
      const childDst = join(dst, name);
      try {
        const now = this.#placeNow(childSrc, childDst, below, created === 'clean');
        if (now === true) continue;
        running.push(now === false ? this.#copy(childSrc, rel === '' ? name : `${rel}/${name}`, childDst, true, below, created === 'clean') : now);
      } catch (e) {
        error = { reason: e };
        break;
      }
    }
    const results = await Promise.allSettled(running);
    const failed = error ?? results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return created;
  }

  /** Creates the directories held back by include filters, now that something inside matched. */
  async #createPendingDirs(pending: readonly PendingDir[], overwriteTargetMeta: boolean): Promise<void> {
    for (const dir of pending) {
      if (this.#dirsDone.has(dir)) continue;
      await this.#dirsMade.get(`${dir.src}\0${dir.dst}`, async () => {
        const st = await lstat(dir.src, { bigint: true });
        const created = await this.#ensureDir(dir.dst);
        if (created || overwriteTargetMeta) await this.#copyMeta(st, dir.dst);
      });
      this.#dirsDone.add(dir);
    }
  }

  /** mkdir unless a directory is there; says whether it was created, and with an inherited setgid. */
  async #ensureDir(dst: string): Promise<DirCreated> {
    const st = await lstatOrUndefined(dst);
    if (st?.isDirectory()) return false;
    if (st) {
      const p = pathInRoot(this.#o.dstRoot, dst);
      throw new FileOpError('not-a-directory', `cannot copy a directory to ${p}: it exists and is not a directory`, p);
    }
    await mkdir(dst, { mode: 0o700 });
    // Under a setgid directory new entries take its group: then they are not "fresh".
    return ((await lstat(dst)).mode & 0o2000) === 0 ? 'clean' : 'setgid';
  }

  /** `created`: target is a file or link just made in a fresh directory (see #copy). */
  #targetMeta(st: BigIntStats): TargetMeta {
    const o = this.#o;
    const owner = o.owner ?? o.sourceOwner ?? { uid: Number(st.uid), gid: Number(st.gid) };
    const current = Number(st.mode) & 0o7777;
    let mode = current;
    if (o.modeChange) mode = o.modeChange(current, st.isDirectory());
    else if (o.mode !== undefined) mode = o.mode & 0o7777;
    return { uid: owner.uid, gid: owner.gid, mode, mtime: o.time ?? nsToSeconds(st.mtimeNs) };
  }

  async #copyMeta(st: BigIntStats, target: string, created = false): Promise<void> {
    const o = this.#o;
    const owner = o.owner ?? o.sourceOwner ?? { uid: Number(st.uid), gid: Number(st.gid) };
    // What a new entry already has: copyFile gives a file the source's mode, and as root the
    // source's ids; a new symlink has the builder's ids.
    const has = !created ? undefined : st.isFile() ? (privileged ? { uid: Number(st.uid), gid: Number(st.gid) } : undefined) : { uid: euid, gid: egid };
    const chown = !(has && has.uid === owner.uid && has.gid === owner.gid);
    if (st.isSymbolicLink()) {
      if (chown) await setOwner(target, owner.uid, owner.gid, true);
    } else {
      if (chown) await setOwner(target, owner.uid, owner.gid);
      const current = Number(st.mode) & 0o7777;
      let mode = current;
      if (o.modeChange) mode = o.modeChange(current, st.isDirectory());
      else if (o.mode !== undefined) mode = o.mode & 0o7777;
      if (chown || mode !== current || !created || (current & 0o6000) !== 0) await chmod(target, mode);
    }
    await this.#copyTimes(st, target);
  }

  async #copyTimes(st: BigIntStats, target: string): Promise<void> {
    const atime = this.#o.time ?? nsToSeconds(st.atimeNs);
    const mtime = this.#o.time ?? nsToSeconds(st.mtimeNs);
    if (st.isSymbolicLink()) await lutimes(target, atime, mtime);
    else await utimes(target, atime, mtime);
  }
}

function noop(): void {}

function nsToSeconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

async function lstatOrUndefined(p: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(p, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** stat that follows links, or undefined when nothing is there. */
export async function statOrUndefined(p: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(p, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
