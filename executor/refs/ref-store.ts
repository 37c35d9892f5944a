// Ref records on disk: one JSON file per ref under `<root>/refs/`, written to a temp file, synced
// and renamed, so a reader sees a whole record or none and a crash leaves at most a stray temp.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncOnce, type Digest } from '../../llb/index.ts';
import { REF_RECORD_VERSION, type RefRecord } from './types.ts';

const ID_RE = /^r-[0-9a-f]{24}$/;

export function newRefId(): string {
  return `r-${randomBytes(12).toString('hex')}`;
}

export function isRefId(id: string): boolean {
  return ID_RE.test(id);
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export class RefStore {
  readonly #dir: string;
  readonly #diffIDs: string;
  readonly #init = asyncOnce(async () => {
    await mkdir(this.#diffIDs, { recursive: true });
  });

  readonly #digests: string;

  constructor(root: string) {
    this.#dir = join(root, 'refs');
    this.#diffIDs = join(root, 'refs', 'diffids');
    this.#digests = join(root, 'refs', 'digests');
  }

  async put(rec: RefRecord): Promise<void> {
    await this.#init();
    await writeAtomic(join(this.#dir, `${rec.id}.json`), JSON.stringify(rec));
  }

  async get(id: string): Promise<RefRecord | undefined> {
    if (!isRefId(id)) return undefined;
    let text: string;
    try {
      text = await readFile(join(this.#dir, `${id}.json`), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const rec = JSON.parse(text) as RefRecord;
      return rec.v === REF_RECORD_VERSION && rec.id === id ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  /** The diff_id of a snapshot layer, once computed: layers are immutable, so it never changes. */
  async diffID(layerKey: string): Promise<Digest | undefined> {
    try {
      const d = (await readFile(join(this.#diffIDs, layerKey), 'utf8')).trim();
      return /^sha256:[0-9a-f]{64}$/.test(d) ? (d as Digest) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Ids of every ref record on disk (records being written are not listed). */
  async list(): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.json') && isRefId(n.slice(0, -5))).map((n) => n.slice(0, -5));
  }

  /** Bytes of a ref's record file (0 when absent). */
  async recordSize(id: string): Promise<number> {
    if (!isRefId(id)) return 0;
    return (await stat(join(this.#dir, `${id}.json`)).catch(() => undefined))?.size ?? 0;
  }

  /** Removes a ref's record and what is remembered of its content; its data (snapshots, blobs) is collected separately. */
  async delete(id: string): Promise<void> {
    if (!isRefId(id)) return;
    await rm(join(this.#dir, `${id}.json`), { force: true });
    await rm(join(this.#digests, id), { recursive: true, force: true });
  }

  /**
   * A content digest of part of a ref (`selection` names the part: a hex digest of what was
   * selected), remembered from an earlier build. A ref never changes, so neither does the answer.
   */
  async contentDigest(id: string, selection: string): Promise<Digest | undefined> {
    if (!isRefId(id) || !/^[0-9a-f]{64}$/.test(selection)) return undefined;
    try {
      const d = (await readFile(join(this.#digests, id, selection), 'utf8')).trim();
      return /^sha256:[0-9a-f]{64}$/.test(d) ? (d as Digest) : undefined;
    } catch {
      return undefined;
    }
  }

  async saveContentDigest(id: string, selection: string, digest: Digest): Promise<void> {
    if (!isRefId(id) || !/^[0-9a-f]{64}$/.test(selection)) return;
    await mkdir(join(this.#digests, id), { recursive: true });
    await writeAtomic(join(this.#digests, id, selection), digest);
  }

  /** Layer keys with a remembered diff_id. */
  async listDiffIDs(): Promise<string[]> {
    return (await readdir(this.#diffIDs).catch(() => [] as string[])).filter((n) => !n.includes('.tmp-'));
  }

  async deleteDiffID(layerKey: string): Promise<void> {
    await rm(join(this.#diffIDs, layerKey), { force: true });
  }

  /**
   * Deletes temp files left by writers that died (`<name>.tmp-<pid>-<rand>`), and remembered
   * digests of refs whose record is gone (a record is written before anything reads its ref).
   */
  async cleanTemps(isAlive: (pid: number) => boolean): Promise<number> {
    let n = 0;
    const digestDirs: string[] = [];
    for (const id of await readdir(this.#digests).catch(() => [] as string[])) {
      if (await this.recordSize(id)) digestDirs.push(join(this.#digests, id));
      else await rm(join(this.#digests, id), { recursive: true, force: true });
    }
    for (const dir of [this.#dir, this.#diffIDs, ...digestDirs]) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
        if (!m || isAlive(Number(m[1]))) continue;
        await rm(join(dir, name), { force: true });
        n++;
      }
    }
    return n;
  }

  async saveDiffID(layerKey: string, diffID: Digest): Promise<void> {
    await this.#init();
    await writeAtomic(join(this.#diffIDs, layerKey), diffID);
  }
}
