// Ref records on disk: one JSON file per ref under `<root>/refs/`, written to a temp file, synced
// and renamed, so a reader sees a whole record or none and a crash leaves at most a stray temp.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../llb/index.ts';
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
  #ready: Promise<void> | undefined;

  constructor(root: string) {
    this.#dir = join(root, 'refs');
    this.#diffIDs = join(root, 'refs', 'diffids');
  }

  #init(): Promise<void> {
    this.#ready ??= mkdir(this.#diffIDs, { recursive: true }).then(() => {});
    return this.#ready;
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

  async saveDiffID(layerKey: string, diffID: Digest): Promise<void> {
    await this.#init();
    await writeAtomic(join(this.#diffIDs, layerKey), diffID);
  }
}
