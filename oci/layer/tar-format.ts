// The tar header codec for layer tars: ustar headers with PAX extended records, read and
// written byte-exact. PAX values are kept as raw bytes because `SCHILY.xattr.*` values are
// binary (security.capability is a struct, not text), which a string-based codec would corrupt.

export const BLOCK = 512;

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One tar member, after PAX and GNU long-name records have been folded in. */
export interface TarHeader {
  name: string;
  type: TarType;
  /** Permission bits including setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
  uname?: string;
  gname?: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
}

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const TYPEFLAG: Record<TarType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

const XATTR_PREFIX = 'SCHILY.xattr.';

// ---------------------------------------------------------------- encoding

// Callers pass ASCII only (see encodeHeader), so one byte per char.
function writeString(buf: Buffer, off: number, len: number, s: string): void {
  const n = Math.min(len, s.length);
  for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
}

function fitsOctal(n: number, width: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n < 8 ** (width - 1);
}

function writeOctal(buf: Buffer, off: number, width: number, n: number): void {
  for (let i = width - 2; i >= 0; i--) {
    buf[off + i] = 0x30 + (n % 8);
    n = Math.floor(n / 8);
  }
  buf[off + width - 1] = 0;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function rawHeader(h: RawHeader): Buffer {
  const b = Buffer.alloc(BLOCK, 0);
  writeString(b, 0, 100, h.name);
  writeOctal(b, 100, 8, h.mode);
  writeOctal(b, 108, 8, h.uid);
  writeOctal(b, 116, 8, h.gid);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, h.mtime);
  b[156] = h.typeflag.charCodeAt(0);
  writeString(b, 157, 100, h.linkname);
  writeString(b, 257, 8, 'ustar\x0000');
  writeString(b, 265, 32, h.uname);
  writeString(b, 297, 32, h.gname);
  writeOctal(b, 329, 8, h.devmajor);
  writeOctal(b, 337, 8, h.devminor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  writeOctal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

function basename(p: string): string {
  const trimmed = p.endsWith('/') ? p.slice(0, -1) : p;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * Encodes one member's header blocks: an optional PAX header (long or non-ASCII names, big
 * numbers, xattrs) followed by the ustar header. Directory names get a trailing slash.
 * The output depends only on the header, so equal trees give byte-equal layers.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const pax: Buffer[] = [];
  let ustarName = name;
  let ustarLink = h.linkname;
  if (name.length > 100 || !isAscii(name)) {
    pax.push(paxRecord('path', Buffer.from(name, 'utf8')));
    ustarName = asciiTruncate(name, 100);
  }
  if (h.linkname.length > 100 || !isAscii(h.linkname)) {
    pax.push(paxRecord('linkpath', Buffer.from(h.linkname, 'utf8')));
    ustarLink = asciiTruncate(h.linkname, 100);
  }
  const plain = { uid: h.uid, gid: h.gid, size: h.size, mtime: h.mtime };
  if (!fitsOctal(h.uid, 8)) {
    pax.push(paxRecord('uid', Buffer.from(String(h.uid))));
    plain.uid = 0;
  }
  if (!fitsOctal(h.gid, 8)) {
    pax.push(paxRecord('gid', Buffer.from(String(h.gid))));
    plain.gid = 0;
  }
  if (!fitsOctal(h.size, 12)) {
    pax.push(paxRecord('size', Buffer.from(String(h.size))));
    plain.size = 0;
  }
  if (!fitsOctal(h.mtime, 12)) {
    pax.push(paxRecord('mtime', Buffer.from(String(Math.trunc(h.mtime)))));
    plain.mtime = 0;
  }
  if (h.xattrs.size > 0) {
    for (const key of [...h.xattrs.keys()].sort()) pax.push(paxRecord(XATTR_PREFIX + key, h.xattrs.get(key)!));
  }
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const data = Buffer.concat(pax);
    out.push(
      rawHeader({
        name: asciiTruncate(`PaxHeaders.0/${basename(name)}`, 100),
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: data.length,
        mtime: plain.mtime,
        typeflag: 'x',
        linkname: '',
        uname: '',
        gname: '',
        devmajor: 0,
        devminor: 0,
      }),
      padBlock(data),
    );
  }
  out.push(
    rawHeader({
      name: ustarName,
      mode: h.mode & 0o7777,
      uid: plain.uid,
      gid: plain.gid,
      size: h.type === 'file' ? plain.size : 0,
      mtime: plain.mtime,
      typeflag: TYPEFLAG[h.type],
      linkname: ustarLink,
      uname: asciiOrEmpty(h.uname ?? '', 31),
      gname: asciiOrEmpty(h.gname ?? '', 31),
      devmajor: h.devmajor,
      devminor: h.devminor,
    }),
  );
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

function asciiTruncate(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x01-\x7f]/g, '_').slice(0, max);
}

function asciiOrEmpty(s: string, max: number): string {
  return isAscii(s) && s.length <= max ? s : '';
}

export function padBlock(data: Buffer): Buffer {
  const r = data.length % BLOCK;
  return r === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - r)]);
}

export function paddingFor(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

// ---------------------------------------------------------------- decoding

function readString(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}

function readNumber(buf: Buffer, off: number, len: number, field: string): number {
  const first = buf[off]!;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement with the high bit as a marker.
    let n = 0;
    for (let i = 0; i < len; i++) {
      const byte = i === 0 ? first & 0x7f : buf[off + i]!;
      n = n * 256 + byte;
    }
    if (!Number.isSafeInteger(n)) throw new TarFormatError(`tar header field ${field} is too large`);
    return n;
  }
  const s = buf
    .toString('latin1', off, off + len)
    .replace(/[\0 ]+$/g, '')
    .replace(/^[ ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`tar header field ${field} is not an octal number: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

export function isZeroBlock(buf: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The fields of one raw 512-byte header, before PAX/GNU records are folded in. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

export function decodeRawHeader(buf: Buffer): RawHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : buf[i]!;
  const stored = readNumber(buf, 148, 8, 'checksum');
  if (stored !== sum) {
    // Some old writers summed signed bytes; accept that variant too.
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) signed += i >= 148 && i < 156 ? 0x20 : (buf[i]! << 24) >> 24;
    if (stored !== signed) throw new TarFormatError('tar header checksum mismatch (corrupt or not a tar stream)');
  }
  const magic = buf.toString('latin1', 257, 263);
  let name = readString(buf, 0, 100);
  if (magic === 'ustar\0') {
    const prefix = readString(buf, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const typeflag = buf[156] === 0 ? '0' : String.fromCharCode(buf[156]!);
  return {
    name,
    mode: readNumber(buf, 100, 8, 'mode'),
    uid: readNumber(buf, 108, 8, 'uid'),
    gid: readNumber(buf, 116, 8, 'gid'),
    size: readNumber(buf, 124, 12, 'size'),
    mtime: readNumber(buf, 136, 12, 'mtime'),
    typeflag,
    linkname: readString(buf, 157, 100),
    uname: readString(buf, 265, 32),
    gname: readString(buf, 297, 32),
    devmajor: readNumber(buf, 329, 8, 'devmajor'),
    devminor: readNumber(buf, 337, 8, 'devminor'),
  };
}

/** Parses PAX records; values stay raw bytes. */
export function decodePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break;
    const sp = data.indexOf(0x20, off);
    if (sp === -1) throw new TarFormatError('malformed PAX record (no length)');
    const len = Number(data.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > data.length) {
      throw new TarFormatError('malformed PAX record (bad length)');
    }
    const rec = data.subarray(sp + 1, off + len);
    if (rec[rec.length - 1] !== 0x0a) throw new TarFormatError('malformed PAX record (no newline)');
    const eq = rec.indexOf(0x3d);
    if (eq === -1) throw new TarFormatError('malformed PAX record (no "=")');
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1, rec.length - 1)));
    off += len;
  }
  return out;
}

export function typeFromFlag(flag: string): TarType | undefined {
  switch (flag) {
    case '0':
    case '7': // contiguous file: a regular file everywhere that matters
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
      return 'dir';
    case '6':
      return 'fifo';
    default:
      return undefined;
  }
}

export { XATTR_PREFIX };
