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
// On disk: a header line, then one tab-separated line per entry (path, stat key, sha256, entry
// digest, hash time). Loading splits lines into a map of path → the rest and parses an entry only
// when its file is looked up: for a 20,000-file context that is about 20 ms, where V8's
// serialization format took 60–110 ms and JSON more. Written atomically (temp file + rename) by
// flush() and only when an entry changed; a few changed entries are appended instead (a later
// line wins), until appended lines reach a quarter of the entries. A lost, corrupt or
// other-version file, or a torn last line, only costs re-reading. In paths, `%`, tab and newline are written as `%25`, `%09` and `%0A`.
import type { BigIntStats } from 'node:fs';
import { appendFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { asyncOnce, type Digest } from '../../llb/index.ts';
import { FORMAT } from './record.ts';

const VERSION = 3;

/** [statKey, contentSha256Hex, entryDigest, hashedAtMs] */
type Entry = [string, string, Digest, number];

export interface CachedFile {
  /** sha256 hex of the bytes. */
  readonly sha: string;
  /** The file's entry digest (record.ts `fileDigest`). */
  readonly digest: Digest;
}

/**
 * Entries this process has read or written, by cache file, with the file's size, time and inode
 * then: a later build in the same process (the build server, watch mode) whose file is still
 * that one takes the entries as they are instead of reading and splitting it again. Entries are
 * facts (this stat key had these digests), so ones not yet written out are as good as the file's.
 */
const inProcess = new Map<string, { stamp: string; entries: Map<string, Entry | string>; appended: number }>();

async function stampOf(file: string): Promise<string | undefined> {
  const st = await stat(file).catch(() => undefined);
  return st ? `${st.size}:${Math.trunc(st.mtimeMs)}:${st.ino}` : undefined;
}

/** Everything a file's cache entry depends on, as one string (one comparison per lookup). */
export function statKey(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ino}:${st.ctimeNs}:${st.mode}:${st.uid}:${st.gid}`;
}

export class HashCache {
  readonly #file: string | undefined;
  readonly #racyWindowMs: number;
  /** Entries as loaded (the unparsed rest of their line) or as set in this process. */
  #entries = new Map<string, Entry | string>();
  readonly #loaded = asyncOnce(() => this.#read());
  #dirty = false;
  /** Paths set since the last flush. */
  readonly #changed = new Set<string>();
  /** The file as this process last read or wrote it (size, time, inode), when it did. */
  #stamp: string | undefined;
  /** Lines appended to the file since it was last written whole (or read). */
  #appended = 0;

  /** `file` undefined: memory only. */
  constructor(file: string | undefined, racyWindowNs: bigint) {
    this.#file = file;
    this.#racyWindowMs = Number(racyWindowNs) / 1e6;
  }

  load(): Promise<void> {
    return this.#loaded();
  }

  get(path: string, st: BigIntStats): CachedFile | undefined {
    const raw = this.#entries.get(path);
    let e: Entry | undefined;
    if (typeof raw === 'string') {
      // Parsed once: a process that builds again looks it up again.
      e = parseEntry(raw);
      if (e) this.#entries.set(path, e);
    } else e = raw;
    if (!e || e[0] !== statKey(st)) return undefined;
    const changedNs = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    if (e[3] - Number(changedNs) / 1e6 <= this.#racyWindowMs) return undefined;
    return { sha: e[1], digest: e[2] };
  }

  set(path: string, st: BigIntStats, file: CachedFile, hashedAtNs: bigint): void {
    this.#entries.set(path, [statKey(st), file.sha, file.digest, Number(hashedAtNs) / 1e6]);
    this.#dirty = true;
    this.#changed.add(path);
  }

  get size(): number {
    return this.#entries.size;
  }

  async flush(): Promise<void> {
    if (!this.#file || !this.#dirty) return;
    this.#dirty = false;
    const changed = [...this.#changed];
    this.#changed.clear();
    // A few changed entries of a file this process read or wrote last: appended (a later line
    // wins when the file is read), not the whole file rewritten. Appended lines beyond a quarter
    // of the entries make the next flush write it anew.
    const current = this.#stamp !== undefined ? await stampOf(this.#file) : undefined;
    if (current !== undefined && current === this.#stamp && (this.#appended + changed.length) * 4 < this.#entries.size) {
      const lines = changed.map((path) => {
        const e = this.#entries.get(path)!;
        return `${encodePath(path)}\t${typeof e === 'string' ? e : e.join('\t')}\n`;
      });
      await appendFile(this.#file, lines.join(''));
      this.#appended += changed.length;
      this.#stamp = await stampOf(this.#file);
      if (this.#stamp) inProcess.set(this.#file, { stamp: this.#stamp, entries: this.#entries, appended: this.#appended });
      return;
    }
    await mkdir(dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.${Date.now()}.tmp`;
    const lines = [JSON.stringify({ version: VERSION, format: FORMAT })];
    for (const [path, e] of this.#entries) lines.push(`${encodePath(path)}\t${typeof e === 'string' ? e : e.join('\t')}`);
    await writeFile(tmp, lines.join('\n') + '\n');
    await rename(tmp, this.#file);
    const stamp = await stampOf(this.#file);
    this.#stamp = stamp;
    this.#appended = 0;
    if (stamp) inProcess.set(this.#file, { stamp, entries: this.#entries, appended: 0 });
  }

  async #read(): Promise<void> {
    if (!this.#file) return;
    const stamp = await stampOf(this.#file);
    const known = stamp === undefined ? undefined : inProcess.get(this.#file);
    if (known && known.stamp === stamp) {
      for (const [k, v] of this.#entries) known.entries.set(k, v);
      this.#entries = known.entries;
      this.#stamp = stamp;
      this.#appended = known.appended;
      return;
    }
    try {
      const text = await readFile(this.#file, 'utf8');
      const nl = text.indexOf('\n');
      const header = JSON.parse(text.slice(0, nl)) as { version?: number; format?: string };
      // Entry digests are in record.ts's encoding: another FORMAT's are worthless.
      if (header.version !== VERSION || header.format !== FORMAT) return;
      const entries = new Map<string, Entry | string>();
      let at = nl + 1;
      let lines = 0;
      while (at < text.length) {
        const end = text.indexOf('\n', at);
        const tab = text.indexOf('\t', at);
        if (end === -1 || tab === -1 || tab > end) break;
        entries.set(decodePath(text.slice(at, tab)), text.slice(tab + 1, end));
        at = end + 1;
        lines++;
      }
      // Entries set before the load finished are newer than the file's.
      for (const [k, v] of this.#entries) entries.set(k, v);
      this.#entries = entries;
      this.#stamp = stamp;
      // Lines for paths seen again: what earlier flushes appended.
      this.#appended = Math.max(0, lines - entries.size);
      if (stamp) inProcess.set(this.#file, { stamp, entries, appended: this.#appended });
    } catch {
      // Missing or unreadable: start empty.
    }
  }
}

/** The rest of an entry's line, or undefined when it is not four well-formed fields. */
function parseEntry(rest: string): Entry | undefined {
  const f = rest.split('\t');
  if (f.length !== 4 || !SHA256_HEX.test(f[1]!) || !DIGEST.test(f[2]!)) return undefined;
  const at = Number(f[3]);
  return Number.isFinite(at) ? [f[0]!, f[1]!, f[2] as Digest, at] : undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function encodePath(path: string): string {
  return /[%\t\n]/.test(path) ? path.replaceAll('%', '%25').replaceAll('\t', '%09').replaceAll('\n', '%0A') : path;
}

function decodePath(text: string): string {
  return text.includes('%') ? text.replaceAll('%09', '\t').replaceAll('%0A', '\n').replaceAll('%25', '%') : text;
}
