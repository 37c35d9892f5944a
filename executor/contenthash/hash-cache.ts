// Digests of regular files remembered across builds, so a rebuild reads only files that changed.
// An entry is keyed by the file's path and trusted only while its stat key (size, mtime, inode,
// ctime, mode, uid, gid) is unchanged; ctime catches writes that restore the old mtime. Mode and
// owner are in the key because the entry also holds the file's whole entry digest (header and
// content, record.ts), so an unchanged file costs one lstat and one map lookup: no hashing at all.
//
// "Racily clean" files: a file modified within the filesystem's timestamp granularity after it was
// hashed could keep the same stat. So an entry is trusted only when the file's last change was
// older than the hash by more than `racyWindowNs`; otherwise the file is simply read again.
//
// On disk: one file in V8's serialization format (about three times faster to load than the same
// entries as JSON, which matters for 20,000-file contexts on every rebuild), written atomically
// (temp file + rename) by flush() and only when an entry changed. A lost, corrupt or
// other-version file only costs re-reading.
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { asyncOnce, type Digest } from '../../llb/index.ts';
import { FORMAT } from './record.ts';

const VERSION = 2;

/** [statKey, contentSha256Hex, entryDigest, hashedAtMs] */
type Entry = [string, string, Digest, number];

export interface CachedFile {
  /** sha256 hex of the bytes. */
  readonly sha: string;
  /** The file's entry digest (record.ts `fileDigest`). */
  readonly digest: Digest;
}

/** Everything a file's cache entry depends on, as one string (one comparison per lookup). */
export function statKey(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ino}:${st.ctimeNs}:${st.mode}:${st.uid}:${st.gid}`;
}

export class HashCache {
  readonly #file: string | undefined;
  readonly #racyWindowMs: number;
  #entries = new Map<string, Entry>();
  readonly #loaded = asyncOnce(() => this.#read());
  #dirty = false;

  /** `file` undefined: memory only. */
  constructor(file: string | undefined, racyWindowNs: bigint) {
    this.#file = file;
    this.#racyWindowMs = Number(racyWindowNs) / 1e6;
  }

  load(): Promise<void> {
    return this.#loaded();
  }

  get(path: string, st: BigIntStats): CachedFile | undefined {
    const e = this.#entries.get(path);
    if (!e || e[0] !== statKey(st)) return undefined;
    const changedNs = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    if (e[3] - Number(changedNs) / 1e6 <= this.#racyWindowMs) return undefined;
    return { sha: e[1], digest: e[2] };
  }

  set(path: string, st: BigIntStats, file: CachedFile, hashedAtNs: bigint): void {
    this.#entries.set(path, [statKey(st), file.sha, file.digest, Number(hashedAtNs) / 1e6]);
    this.#dirty = true;
  }

  get size(): number {
    return this.#entries.size;
  }

  async flush(): Promise<void> {
    if (!this.#file || !this.#dirty) return;
    this.#dirty = false;
    await mkdir(dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, serialize({ version: VERSION, format: FORMAT, entries: this.#entries }));
    await rename(tmp, this.#file);
  }

  async #read(): Promise<void> {
    if (!this.#file) return;
    try {
      const data = deserialize(await readFile(this.#file)) as { version?: number; format?: string; entries?: unknown };
      // Entry digests are in record.ts's encoding: another FORMAT's are worthless.
      if (data.version !== VERSION || data.format !== FORMAT || !(data.entries instanceof Map)) return;
      const entries = data.entries as Map<string, Entry>;
      // Entries set before the load finished are newer than the file's.
      for (const [k, v] of this.#entries) entries.set(k, v);
      this.#entries = entries;
    } catch {
      // Missing or unreadable: start empty.
    }
  }
}
