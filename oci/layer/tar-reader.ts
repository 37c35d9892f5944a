// Streaming tar reader: yields one member at a time; a member's body is read straight from
// the source stream, so memory stays bounded by the source's chunk size whatever the file size.
import { BLOCK, TarFormatError, XATTR_PREFIX, decodePax, decodeRawHeader, isZeroBlock, paddingFor, typeFromFlag, type TarHeader } from './tar-format.ts';

export interface TarMember {
  header: TarHeader;
  /** The member's data (regular files only; empty otherwise). Read it at most once. */
  readonly body: () => AsyncIterable<Buffer>;
}

class ByteSource {
  #it: AsyncIterator<Buffer | Uint8Array | string>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(src: AsyncIterable<Buffer | Uint8Array | string>) {
    this.#it = src[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#done = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    return true;
  }

  /** Exactly n bytes, or null at a clean end of input (nothing buffered). */
  async exact(n: number, what: string): Promise<Buffer | null> {
    while (this.#buf.length < n) {
      if (!(await this.#fill())) {
        if (this.#buf.length === 0) return null;
        throw new TarFormatError(`tar stream truncated in ${what}`);
      }
    }
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Up to n bytes (at least 1), for streaming bodies. */
  async some(n: number, what: string): Promise<Buffer> {
    if (this.#buf.length === 0 && !(await this.#fill())) throw new TarFormatError(`tar stream truncated in ${what}`);
    const k = Math.min(n, this.#buf.length);
    const out = this.#buf.subarray(0, k);
    this.#buf = this.#buf.subarray(k);
    return out;
  }

  async skip(n: number, what: string): Promise<void> {
    while (n > 0) n -= (await this.some(n, what)).length;
  }

  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

/**
 * Reads tar members from a byte stream. PAX (`x`) and GNU long-name (`L`, `K`) records are
 * folded into the following member; global PAX headers (`g`) are ignored. Corrupt headers
 * and truncated data are errors, never a silently shortened archive.
 */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<TarMember> {
  const src = new ByteSource(source);
  try {
    let pax: Map<string, Buffer> | null = null;
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      const block = await src.exact(BLOCK, 'a header');
      if (block === null) return; // end without the two zero blocks: tolerated, like most readers
      if (isZeroBlock(block)) return;
      const raw = decodeRawHeader(block);
      const dataSize = raw.size;
      if (raw.typeflag === 'x' || raw.typeflag === 'g' || raw.typeflag === 'L' || raw.typeflag === 'K') {
        if (dataSize > 1 << 24) throw new TarFormatError(`tar extended header too large (${dataSize} bytes)`);
        const data = dataSize === 0 ? Buffer.alloc(0) : await src.exact(dataSize, 'an extended header');
        if (data === null) throw new TarFormatError('tar stream truncated in an extended header');
        await src.skip(paddingFor(dataSize), 'padding');
        if (raw.typeflag === 'x') pax = decodePax(data);
        else if (raw.typeflag === 'L') longName = cString(data);
        else if (raw.typeflag === 'K') longLink = cString(data);
        continue;
      }
      let type = typeFromFlag(raw.typeflag);
      if (type === undefined) throw new TarFormatError(`unsupported tar member type ${JSON.stringify(raw.typeflag)} for ${raw.name}`);
      let name = longName ?? raw.name;
      let linkname = longLink ?? raw.linkname;
      let { size, uid, gid, mtime } = raw;
      const xattrs = new Map<string, Buffer>();
      if (pax) {
        for (const [k, v] of pax) {
          if (k === 'path') name = v.toString('utf8');
          else if (k === 'linkpath') linkname = v.toString('utf8');
          else if (k === 'size') size = paxNumber(k, v);
          else if (k === 'uid') uid = paxNumber(k, v);
          else if (k === 'gid') gid = paxNumber(k, v);
          else if (k === 'mtime') mtime = Math.floor(Number(v.toString('latin1')));
          else if (k.startsWith(XATTR_PREFIX)) xattrs.set(k.slice(XATTR_PREFIX.length), v);
          else if (k.startsWith('GNU.sparse.')) throw new TarFormatError(`sparse file ${JSON.stringify(name)} is not supported in layers`);
        }
      }
      // Pre-POSIX writers marked directories only by a trailing slash.
      if (type === 'file' && raw.typeflag === '0' && name.endsWith('/')) type = 'dir';
      pax = null;
      longName = null;
      longLink = null;
      // Only regular files carry data; the size of any other member is skipped as data.
      const header: TarHeader = {
        name,
        type,
        mode: raw.mode & 0o7777,
        uid,
        gid,
        size: type === 'file' ? size : 0,
        mtime: Number.isFinite(mtime) ? mtime : 0,
        linkname,
        uname: raw.uname,
        gname: raw.gname,
        devmajor: raw.devmajor,
        devminor: raw.devminor,
        xattrs,
      };
      let remaining = size;
      let consumed = false;
      const member: TarMember = {
        header,
        body: () => {
          if (consumed) throw new Error('tar member body read twice');
          consumed = true;
          return (async function* () {
            while (remaining > 0) {
              const chunk = await src.some(remaining, `the data of ${name}`);
              remaining -= chunk.length;
              yield chunk;
            }
          })();
        },
      };
      yield member;
      consumed = true;
      await src.skip(remaining, `the data of ${name}`);
      remaining = 0;
      await src.skip(paddingFor(size), 'padding');
    }
  } finally {
    await src.close();
  }
}

function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z === -1 ? b.length : z);
}

function paxNumber(key: string, v: Buffer): number {
  const s = v.toString('latin1');
  if (!/^\d+$/.test(s)) throw new TarFormatError(`malformed PAX ${key} record: ${JSON.stringify(s)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`PAX ${key} record too large`);
  return n;
}
