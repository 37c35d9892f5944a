// Content digests of regular files remembered across builds, so a rebuild reads only files that
// changed. An entry is keyed by the file's path and trusted only while (size, mtime, inode, ctime)
// are unchanged; ctime catches writes that restore the old mtime.
//
// "Racily clean" files: a file modified within the filesystem's timestamp granularity after it was
// hashed could keep the same stat. So an entry is trusted only when the file's last change was
// older than the hash by more than `racyWindowNs`; otherwise the file is simply read again.
//
// On disk: one JSON file written atomically (temp file + rename) by flush(); a lost or corrupt
// file only costs re-reading.
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const VERSION = 1;

/** [size, mtimeNs, ino, ctimeNs, contentSha256Hex, hashedAtNs] */
type Entry = [number, string, string, string, string, string];

export class HashCache {
  readonly #file: string | undefined;
  readonly #racyWindowNs: bigint;
  #entries = new Map<string, Entry>();
  #loaded: Promise<void> | undefined;
  #dirty = false;

  /** `file` undefined: memory only. */
  constructor(file: string | undefined, racyWindowNs: bigint) {
    this.#file = file;
    this.#racyWindowNs = racyWindowNs;
  }

  load(): Promise<void> {
    this.#loaded ??= this.#read();
    return this.#loaded;
  }

  get(path: string, st: BigIntStats): string | undefined {
    const e = this.#entries.get(path);
    if (!e) return undefined;
    if (e[0] !== Number(st.size) || e[1] !== String(st.mtimeNs) || e[2] !== String(st.ino) || e[3] !== String(st.ctimeNs)) return undefined;
    const changed = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    if (BigInt(e[5]) - changed <= this.#racyWindowNs) return undefined;
    return e[4];
  }

  set(path: string, st: BigIntStats, sha: string, hashedAtNs: bigint): void {
    this.#entries.set(path, [Number(st.size), String(st.mtimeNs), String(st.ino), String(st.ctimeNs), sha, String(hashedAtNs)]);
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
    await writeFile(tmp, JSON.stringify({ version: VERSION, entries: Object.fromEntries(this.#entries) }));
    await rename(tmp, this.#file);
  }

  async #read(): Promise<void> {
    if (!this.#file) return;
    try {
      const data = JSON.parse(await readFile(this.#file, 'utf8')) as { version?: number; entries?: Record<string, Entry> };
      if (data.version !== VERSION || !data.entries) return;
      for (const [k, v] of Object.entries(data.entries)) if (!this.#entries.has(k)) this.#entries.set(k, v);
    } catch {
      // Missing or unreadable: start empty.
    }
  }
}
