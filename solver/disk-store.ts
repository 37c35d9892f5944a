// The persistent cache store: one SQLite database, `$root/cache.db`, in WAL mode.
//
// Why SQLite: every put is one transaction, so a process killed at any instant leaves either the
// old records or the new ones, never half a record; WAL lets readers proceed while another
// process writes, and busy_timeout makes two processes sharing a root wait for each other
// instead of failing. synchronous=NORMAL keeps commits durable across a killed process (the
// case that matters for a build tool); after a power loss the last commits may be lost, which
// only costs cache misses, because result data is always written before the record naming it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { parseCacheKey, type CacheKey } from './cache-key.ts';
import type { CacheRecord, CacheStore } from './cache-store.ts';

/**
 * Schema version of cache.db (PRAGMA user_version); distinct from the cache-key version.
 * 1: records(key, result_id, created_at). 2: + last_used (NULL: never looked up since written).
 */
const SCHEMA_VERSION = 2;
const BUSY_TIMEOUT_MS = 10_000;
/** A hit younger than this is not written back: lookups stay read-only on a hot cache. */
const TOUCH_GRANULARITY_MS = 60_000;

export class CacheStoreError extends Error {
  override readonly name = 'CacheStoreError';
}

interface Row {
  key: string;
  result_id: string;
  created_at: number;
  last_used: number | null;
}

export class DiskCacheStore implements CacheStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #select: StatementSync;
  readonly #upsert: StatementSync;
  readonly #remove: StatementSync;
  readonly #all: StatementSync;
  readonly #touch: StatementSync;

  /** Opens (creating if needed) `$root/cache.db`. */
  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.path = join(root, 'cache.db');
    this.#db = new DatabaseSync(this.path);
    const db = this.#db;
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Two processes opening a new database at once can each hold a read lock while asking for the
    // write lock the switch to WAL needs; SQLite answers one of them BUSY at once, without waiting
    // on busy_timeout (it would be a deadlock), so the opening steps are retried here.
    retryWhileBusy(() => db.exec('PRAGMA journal_mode = WAL'));
    db.exec('PRAGMA synchronous = NORMAL');
    retryWhileBusy(() =>
      this.#transaction(() => {
        const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
        if (version > SCHEMA_VERSION) {
          throw new CacheStoreError(
            `${this.path} was written by a newer tsbuild (schema ${version}, this one reads ${SCHEMA_VERSION}); upgrade tsbuild or use another TSBUILD_ROOT`,
          );
        }
        db.exec(`CREATE TABLE IF NOT EXISTS records (
        key TEXT PRIMARY KEY NOT NULL,
        result_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used INTEGER
      ) WITHOUT ROWID`);
        const columns = db.prepare('PRAGMA table_info(records)').all() as unknown as { name: string }[];
        if (!columns.some((c) => c.name === 'last_used')) db.exec('ALTER TABLE records ADD COLUMN last_used INTEGER');
        if (version < SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      }),
    );
    // One statement answers a batch of any size: the keys travel as one JSON array.
    this.#select = db.prepare('SELECT key, result_id, created_at, last_used FROM records WHERE key IN (SELECT value FROM json_each(?))');
    this.#upsert = db.prepare(
      'INSERT INTO records (key, result_id, created_at, last_used) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET result_id = excluded.result_id, created_at = excluded.created_at, last_used = excluded.last_used',
    );
    this.#remove = db.prepare('DELETE FROM records WHERE key = ?');
    this.#all = db.prepare('SELECT key, result_id, created_at, last_used FROM records');
    this.#touch = db.prepare('UPDATE records SET last_used = ? WHERE key IN (SELECT value FROM json_each(?))');
  }

  async get(keys: readonly CacheKey[]): Promise<Map<CacheKey, CacheRecord>> {
    const found = new Map<CacheKey, CacheRecord>();
    if (keys.length === 0) return found;
    const now = Date.now();
    const stale: CacheKey[] = [];
    for (const row of this.#select.all(JSON.stringify(keys)) as unknown as Row[]) {
      let rec = toRecord(row);
      if (!rec) continue;
      if ((rec.lastUsed ?? rec.createdAt) < now - TOUCH_GRANULARITY_MS) {
        stale.push(rec.key);
        rec = { ...rec, lastUsed: now };
      }
      found.set(rec.key, rec);
    }
    if (stale.length > 0) this.#transaction(() => this.#touch.run(now, JSON.stringify(stale)));
    return found;
  }

  async put(entries: readonly { key: CacheKey; resultId: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    this.#transaction(() => {
      for (const { key, resultId } of entries) this.#upsert.run(key, resultId, now, now);
    });
  }

  async delete(keys: readonly CacheKey[]): Promise<void> {
    if (keys.length === 0) return;
    this.#transaction(() => {
      for (const key of keys) this.#remove.run(key);
    });
  }

  async list(): Promise<CacheRecord[]> {
    const out: CacheRecord[] = [];
    for (const row of this.#all.all() as unknown as Row[]) {
      const rec = toRecord(row);
      if (rec) out.push(rec);
    }
    return out;
  }

  /**
   * Gives the space of deleted records back to the filesystem (VACUUM, then truncates the WAL).
   * Waits for other writers like any write; meant for garbage collection, not for builds.
   */
  compact(): void {
    this.#db.exec('VACUUM');
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of deadlocking. */
  #transaction(fn: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock this statement needs. */
const BUSY_CODES = new Set([5, 6]);

function retryWhileBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { errcode?: number }).errcode;
      if (code === undefined || !BUSY_CODES.has(code) || Date.now() >= deadline) throw err;
      // Synchronous like the rest of the store; a jittered pause keeps two openers from colliding again.
      Atomics.wait(pause, 0, 0, Math.min(100, 5 * attempt) + Math.random() * 10);
    }
  }
}

/** Rows with a malformed key (written by something else) are ignored rather than trusted. */
function toRecord(row: Row): CacheRecord | undefined {
  const key = parseCacheKey(row.key);
  if (!key) return undefined;
  return { key, resultId: row.result_id, createdAt: Number(row.created_at), ...(row.last_used !== null ? { lastUsed: Number(row.last_used) } : {}) };
}
