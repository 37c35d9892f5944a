// moby.filesync.v1.FileSync/DiffCopy, the sending side: the daemon asks for a local directory of
// this machine and we stream it in fsutil's packet protocol. Every entry's stat goes first, in
// walk order (depth first, names in byte order, a directory before its contents), ending with an
// empty STAT; the daemon then asks for the contents of the regular files it does not already
// hold (REQ with the entry's index), which come back as DATA packets ending with an empty one,
// and FIN closes the exchange from both sides.
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Fields, Writer } from './wire.ts';
import { PACKET_DATA, PACKET_ERR, PACKET_FIN, PACKET_REQ, PACKET_STAT } from './packet.ts';
import { Code, GrpcError, type ServerCall } from './grpc.ts';

/** Chunk size for file contents: well under gRPC's default 4 MiB message limit. */
const CHUNK = 1 << 20;

/** Which entries of a local directory are sent (the daemon's include/exclude patterns). */
export interface EntryFilter {
  selects(rel: string): boolean;
  /** Whether anything under directory `rel` can be selected. */
  descend(rel: string): boolean;
}

export interface LocalDir {
  readonly dir: string;
  /** Builds the filter for the patterns a request carries (empty lists: everything). */
  filter(include: readonly string[], exclude: readonly string[]): EntryFilter;
}

interface Entry {
  readonly rel: string;
  readonly abs: string;
  readonly st: BigIntStats;
}

/** Go's os.FileMode bits, which fsutil's Stat.mode carries (not the Unix st_mode). */
function goMode(mode: bigint): number {
  const m = Number(mode);
  let out = m & 0o777;
  if (m & 0o4000) out |= 1 << 23;
  if (m & 0o2000) out |= 1 << 22;
  if (m & 0o1000) out |= 1 << 20;
  switch (m & 0o170000) {
    case 0o040000:
      out |= 1 << 31;
      break;
    case 0o120000:
      out |= 1 << 27;
      break;
    case 0o010000:
      out |= 1 << 25;
      break;
    case 0o060000:
      out |= 1 << 26;
      break;
    case 0o020000:
      out |= (1 << 26) | (1 << 21);
      break;
  }
  return out >>> 0;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function walk(root: string, filter: EntryFilter, rel = ''): Promise<Entry[]> {
  const out: Entry[] = [];
  const names = (await readdir(rel === '' ? root : join(root, rel))).sort(byBytes);
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, childRel);
    const st = await lstat(abs, { bigint: true });
    if (st.isDirectory()) {
      if (!filter.descend(childRel)) continue;
      const children = await walk(root, filter, childRel);
      // A parent of a selected entry is sent too, as fsutil does, or the entry could not be placed.
      if (children.length > 0 || filter.selects(childRel)) out.push({ rel: childRel, abs, st }, ...children);
    } else if (filter.selects(childRel) && !st.isSocket()) {
      out.push({ rel: childRel, abs, st });
    }
  }
  return out;
}

async function statPacket(e: Entry): Promise<Uint8Array> {
  const isDir = e.st.isDirectory();
  const stat = new Writer()
    .string(1, e.rel)
    .uint(2, goMode(e.st.mode))
    .uint(3, e.st.uid)
    .uint(4, e.st.gid)
    .uint(5, isDir ? 0n : e.st.size)
    .uint(6, e.st.mtimeNs)
    .string(7, e.st.isSymbolicLink() ? await readlink(e.abs) : undefined);
  if (e.st.isBlockDevice() || e.st.isCharacterDevice()) {
    stat.uint(8, (e.st.rdev >> 8n) & 0xfffn).uint(9, (e.st.rdev & 0xffn) | ((e.st.rdev >> 12n) & 0xfff00n));
  }
  return new Writer().uint(1, PACKET_STAT).message(2, stat).finish();
}

async function sendFile(call: ServerCall, id: number, path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      await call.send(new Writer().uint(1, PACKET_DATA).uint(3, id).bytes(4, buf.subarray(0, bytesRead)).finish());
    }
  } finally {
    await fh.close();
  }
  await call.send(new Writer().uint(1, PACKET_DATA).uint(3, id).finish());
}

/** gRPC metadata values; BuildKit ≥ 0.12 percent-encodes non-ASCII ones and says so in `<key>-encoded`. */
function metadataList(call: ServerCall, key: string): string[] {
  const raw = call.metadata[key];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const encoded = call.metadata[`${key}-encoded`];
  if (encoded === undefined || !['1', 'true'].includes(String(encoded))) return values;
  return values.map((v) => decodeURIComponent(v.replace(/\+/g, ' ')));
}

export async function diffCopy(call: ServerCall, dirs: Readonly<Record<string, LocalDir>>): Promise<void> {
  const name = metadataList(call, 'dir-name')[0] ?? '';
  const local = dirs[name];
  if (!local) throw new GrpcError(Code.NOT_FOUND, `no access allowed to dir "${name}": the build did not name it as a local context`);
  const filter = local.filter(metadataList(call, 'include-patterns'), metadataList(call, 'exclude-patterns'));
  const entries = await walk(local.dir, filter);
  const files = new Map<number, string>();
  const walked = (async () => {
    for (const [i, e] of entries.entries()) {
      if (e.st.isFile()) files.set(i, e.abs);
      await call.send(await statPacket(e));
    }
    await call.send(new Uint8Array());
  })();
  let sending: Promise<void> = Promise.resolve();
  for await (const bytes of call.messages) {
    const p = new Fields(bytes);
    switch (p.int(1)) {
      case PACKET_REQ: {
        const id = p.int(3);
        const path = files.get(id);
        if (path === undefined) throw new GrpcError(Code.INTERNAL, `invalid file id ${id}`);
        files.delete(id);
        sending = sending.then(() => sendFile(call, id, path));
        sending.catch(() => {});
        break;
      }
      case PACKET_FIN:
        await walked;
        await sending;
        await call.send(new Writer().uint(1, PACKET_FIN).finish());
        return;
      case PACKET_ERR:
        throw new GrpcError(Code.UNKNOWN, `error from receiver: ${p.string(4)}`);
    }
  }
  await walked;
  await sending;
}
