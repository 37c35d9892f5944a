// Snapshot metadata on disk: one small JSON record per key under `meta/`, named by the key's
// sha256, written to a temp file, fsynced and then linked (create) or renamed (replace) into
// place, so a reader sees a whole record or none. Records are the only source of truth: a
// directory under `dirs/` that no record references is garbage.
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerRef, SnapshotKind } from './types.ts';
import { isAlive } from '../process/index.ts';

export const RECORD_VERSION = 1;

export interface SnapshotRecord {
  v: typeof RECORD_VERSION;
  key: string;
  kind: SnapshotKind;
  /** The directory under dirs/ this snapshot reads and writes ('' for none: an overlay merge). */
  id: string;
  parent?: string;
  /** Committed: the full chain. Active and view: the parent's chain. */
  layers: LayerRef[];
  /** Owner process of an active or view snapshot; records of dead owners are discarded. */
  pid?: number;
  created: string;
  usage?: { size: number; inodes: number };
  /** Overlay: whiteout devices in the own layer dir (0 → the dir can be read as is). */
  whiteouts?: number;
  /** Internal snapshots (builds in progress) are not listed. */
  internal?: boolean;
}

export function recordName(key: string): string {
  return createHash('sha256').update(key).digest('hex') + '.json';
}

export function newId(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

function isRecord(x: unknown): x is SnapshotRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<SnapshotRecord>;
  return (
    r.v === RECORD_VERSION &&
    typeof r.key === 'string' &&
    typeof r.id === 'string' &&
    (r.kind === 'active' || r.kind === 'view' || r.kind === 'committed') &&
    Array.isArray(r.layers) &&
    r.layers.every((l) => typeof l === 'object' && l !== null && typeof l.id === 'string')
  );
}

export class RecordExistsError extends Error {
  override name = 'RecordExistsError';
}

export class RecordStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  #path(key: string): string {
    return join(this.dir, recordName(key));
  }

  async #writeTemp(rec: SnapshotRecord): Promise<string> {
    const tmp = join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(JSON.stringify(rec));
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  /** Creates the record; fails with RecordExistsError if the key is taken. */
  async create(rec: SnapshotRecord): Promise<void> {
    const tmp = await this.#writeTemp(rec);
    try {
      await link(tmp, this.#path(rec.key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RecordExistsError(`snapshot ${JSON.stringify(rec.key)} already exists`);
      throw e;
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async replace(rec: SnapshotRecord): Promise<void> {
    const tmp = await this.#writeTemp(rec);
    await rename(tmp, this.#path(rec.key));
  }

  async get(key: string): Promise<SnapshotRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const rec: unknown = JSON.parse(text);
      return isRecord(rec) && rec.key === key ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.#path(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** All valid records; with `prune`, deletes unreadable records and stale temp files. */
  async all(prune = false): Promise<SnapshotRecord[]> {
    const out: SnapshotRecord[] = [];
    for (const name of await readdir(this.dir)) {
      const p = join(this.dir, name);
      if (name.startsWith('.tmp-')) {
        const pid = Number(name.split('-')[1]);
        if (prune && !isAlive(pid)) await unlink(p).catch(() => {});
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let rec: unknown;
      try {
        rec = JSON.parse(await readFile(p, 'utf8'));
      } catch {
        rec = undefined;
      }
      if (isRecord(rec) && recordName(rec.key) === name) out.push(rec);
      else if (prune) await unlink(p).catch(() => {});
    }
    return out;
  }
}
