// Builds and prune coordinate through files under `<root>/locks/`:
//
//   build-<pid>-<n>.lock   one per running build, held from opening the root to the last export
//   prune.lock             held by the one prune that may run at a time
//
// Each side writes its own file first and looks for the other's second, so at least one of two
// racing processes sees the other: a build that finds a live prune waits for it to finish; a
// prune that finds a live build gives up (unless forced). Lock files of dead processes are
// ignored and removed; a lock records the owner's start time so a recycled pid does not count.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const EMPTY_LOCK_GRACE_MS = 10_000;

interface LockFile {
  pid: number;
  /** Kernel start time of the owner (field 22 of /proc/<pid>/stat), when known. */
  start?: string;
  since: string;
}

export interface LockHolder {
  pid: number;
  since: string;
  path: string;
}

export class PruneLockedError extends Error {
  override name = 'PruneLockedError';
  readonly holders: readonly LockHolder[];
  constructor(message: string, holders: readonly LockHolder[]) {
    super(message);
    this.holders = holders;
  }
}

export function locksDir(root: string): string {
  return join(root, 'locks');
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(lock: LockFile): boolean {
  if (!Number.isInteger(lock.pid) || lock.pid <= 0) return false;
  if (lock.pid !== process.pid) {
    try {
      process.kill(lock.pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
  }
  const now = startTime(lock.pid);
  return lock.start === undefined || now === undefined || now === lock.start;
}

async function writeLock(path: string): Promise<void> {
  const rec: LockFile = { pid: process.pid, since: new Date().toISOString() };
  const start = startTime(process.pid);
  if (start !== undefined) rec.start = start;
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(JSON.stringify(rec));
  } finally {
    await fh.close();
  }
}

async function readLock(path: string): Promise<LockFile | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockFile;
  } catch {
    return undefined;
  }
}

/** Live holders of locks whose file name starts with `prefix`; files of dead owners are removed. */
async function liveLocks(root: string, prefix: string): Promise<LockHolder[]> {
  const dir = locksDir(root);
  const out: LockHolder[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.lock')) continue;
    const path = join(dir, name);
    const lock = await readLock(path);
    // A lock being written is empty for an instant: count it as live unless it stayed empty.
    if (lock === undefined) {
      const s = await stat(path).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs < EMPTY_LOCK_GRACE_MS) out.push({ pid: 0, since: '', path });
      else await rm(path, { force: true });
      continue;
    }
    if (alive(lock)) out.push({ pid: lock.pid, since: lock.since, path });
    else await rm(path, { force: true });
  }
  return out;
}

/** Builds running on this root now. */
export function liveBuilds(root: string): Promise<LockHolder[]> {
  return liveLocks(root, 'build-');
}

export interface BuildLockOptions {
  /** Called once if the build has to wait for a prune to finish. */
  onWait?(holder: LockHolder): void;
  signal?: AbortSignal;
  /** How often to look again while a prune runs (default 200 ms). */
  pollMs?: number;
}

/**
 * Marks a build as running on `root` until the returned function is called. Waits while a prune
 * is running. A process that dies without releasing leaves a file that nobody counts.
 */
export async function acquireBuildLock(root: string, opts: BuildLockOptions = {}): Promise<() => Promise<void>> {
  await mkdir(locksDir(root), { recursive: true });
  const path = join(locksDir(root), `build-${process.pid}-${randomBytes(4).toString('hex')}.lock`);
  await writeLock(path);
  const release = () => rm(path, { force: true });
  let told = false;
  try {
    for (;;) {
      const prunes = await liveLocks(root, 'prune');
      if (prunes.length === 0) break;
      if (!told) opts.onWait?.(prunes[0]!);
      told = true;
      opts.signal?.throwIfAborted();
      await delay(opts.pollMs ?? 200, undefined, opts.signal ? { signal: opts.signal } : {});
    }
  } catch (e) {
    await release();
    throw e;
  }
  return release;
}

/**
 * Takes the prune lock. Fails with PruneLockedError when another prune runs, or (without
 * `force`) when a build runs; returns the live builds it was forced past and the release.
 */
export async function acquirePruneLock(root: string, force = false): Promise<{ release: () => Promise<void>; builds: LockHolder[] }> {
  await mkdir(locksDir(root), { recursive: true });
  const path = join(locksDir(root), 'prune.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await writeLock(path);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 100) throw e;
      const holder = await readLock(path);
      if (holder && alive(holder)) {
        throw new PruneLockedError(`another prune (pid ${holder.pid}) is running on ${root}; wait for it to finish`, [
          { pid: holder.pid, since: holder.since, path },
        ]);
      }
      if (!holder && attempt < 10) await delay(20);
      else await rm(path, { force: true });
    }
  }
  const release = () => rm(path, { force: true });
  const builds = await liveBuilds(root);
  if (builds.length > 0 && !force) {
    await release();
    const pids = [...new Set(builds.map((b) => b.pid).filter((p) => p > 0))];
    throw new PruneLockedError(
      `a build is running on ${root} (pid ${pids.join(', ') || 'starting'}): prune would remove what it uses. Wait for it to finish, or use --force`,
      builds,
    );
  }
  return { release, builds };
}
