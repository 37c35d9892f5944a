// moby.filesync.v1.FileSend/DiffCopy, the receiving side: exports coming back from the daemon.
// For `type=tar` (and the archive exporters) the call carries raw bytes; for `type=local` it
// carries fsutil's packet stream with the daemon as the sender (see filesync.ts), and we write
// the tree into the destination, asking for each regular file's contents by its entry index.
// Entries must come in walk order with every parent sent as a directory first; anything else
// (an absolute path, `..`, a path through a symlink) is refused, so nothing is written outside
// the destination.
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Writable } from 'node:stream';
import { Fields, Writer } from './wire.ts';
import { PACKET_DATA, PACKET_ERR, PACKET_FIN, PACKET_REQ, PACKET_STAT } from './packet.ts';
import { Code, GrpcError, type ServerCall } from './grpc.ts';
import { decodeBytesMessage } from './control.ts';

const GO_DIR = 1 << 31;
const GO_SYMLINK = 1 << 27;
const GO_TYPE = (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);

function unixPerm(goMode: number): number {
  let m = goMode & 0o777;
  if (goMode & (1 << 23)) m |= 0o4000;
  if (goMode & (1 << 22)) m |= 0o2000;
  if (goMode & (1 << 20)) m |= 0o1000;
  return m;
}

interface Stat {
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeNs: number;
  readonly linkname: string;
}

function decodeStat(f: Fields): Stat {
  return { path: f.string(1), mode: f.int(2) >>> 0, uid: f.int(3), gid: f.int(4), mtimeNs: f.int(6), linkname: f.string(7) };
}

const asRoot = process.getuid?.() === 0;

/**
 * Makes room for an entry over what an earlier export left: a directory stays when a directory
 * is wanted; anything else (a symlink above all, which later writes would follow) is removed.
 */
async function clear(abs: string, wantDir: boolean): Promise<void> {
  let st;
  try {
    st = await lstat(abs);
  } catch {
    return;
  }
  if (wantDir && st.isDirectory()) return;
  await rm(abs, { recursive: true, force: true });
}

export async function receiveTar(call: ServerCall, out: Writable): Promise<void> {
  for await (const m of call.messages) {
    const data = decodeBytesMessage(m);
    if (!out.write(data)) await new Promise<void>((r) => out.once('drain', r));
  }
}

export async function receiveDir(call: ServerCall, dest: string): Promise<void> {
  await clear(dest, true);
  await mkdir(dest, { recursive: true });
  const dirs = new Set<string>(['']);
  const dirTimes: Stat[] = [];
  const open_ = new Map<number, { fh: FileHandle; stat: Stat }>();
  const pending = new Map<number, Stat>();
  let index = 0;
  let statsDone = false;
  let finSent = false;
  const finishIfDone = async () => {
    if (statsDone && pending.size === 0 && open_.size === 0 && !finSent) {
      finSent = true;
      await call.send(new Writer().uint(1, PACKET_FIN).finish());
    }
  };
  const target = (p: string): string => {
    const clean = posix.normalize(p);
    if (p === '' || posix.isAbsolute(p) || clean !== p || clean.split('/').includes('..'))
      throw new GrpcError(Code.INTERNAL, `refused export entry ${JSON.stringify(p)}: not a clean relative path`);
    const parent = posix.dirname(clean) === '.' ? '' : posix.dirname(clean);
    if (!dirs.has(parent)) throw new GrpcError(Code.INTERNAL, `refused export entry ${JSON.stringify(p)}: its parent directory was not sent first`);
    return join(dest, clean);
  };
  const finishMeta = async (abs: string, st: Stat, isLink: boolean) => {
    if (asRoot) await lchown(abs, st.uid, st.gid);
    if (!isLink) await chmod(abs, unixPerm(st.mode));
    const t = new Date(st.mtimeNs / 1e6);
    await lutimes(abs, t, t);
  };
  for await (const bytes of call.messages) {
    const p = new Fields(bytes);
    switch (p.int(1)) {
      case PACKET_STAT: {
        const sf = p.message(2);
        if (!sf) {
          statsDone = true;
          await finishIfDone();
          break;
        }
        const st = decodeStat(sf);
        const id = index++;
        const abs = target(st.path);
        await clear(abs, (st.mode & GO_DIR) !== 0);
        if (st.mode & GO_DIR) {
          await mkdir(abs, { recursive: true });
          dirs.add(st.path);
          dirTimes.push(st);
        } else if (st.mode & GO_SYMLINK) {
          await symlink(st.linkname, abs);
          await finishMeta(abs, st, true);
        } else if ((st.mode & GO_TYPE) === 0) {
          if (st.linkname) {
            await link(target(st.linkname), abs);
          } else {
            pending.set(id, st);
            await call.send(new Writer().uint(1, PACKET_REQ).uint(3, id).finish());
          }
        }
        // Devices, pipes and sockets are left out, as in a rootless local export.
        break;
      }
      case PACKET_DATA: {
        const id = p.int(3);
        const data = p.bytes(4);
        let file = open_.get(id);
        if (!file) {
          const st = pending.get(id);
          if (!st) throw new GrpcError(Code.INTERNAL, `data for unrequested file id ${id}`);
          pending.delete(id);
          file = { fh: await open(join(dest, st.path), 'wx'), stat: st };
          open_.set(id, file);
        }
        if (data.length > 0) {
          await file.fh.write(data);
        } else {
          await file.fh.close();
          open_.delete(id);
          await finishMeta(join(dest, file.stat.path), file.stat, false);
          await finishIfDone();
        }
        break;
      }
      case PACKET_FIN:
        // Directory times last: writing their contents changed them.
        for (const st of dirTimes.reverse()) {
          const t = new Date(st.mtimeNs / 1e6);
          const abs = join(dest, st.path);
          if (asRoot) await lchown(abs, st.uid, st.gid);
          await chmod(abs, unixPerm(st.mode));
          await utimes(abs, t, t);
        }
        return;
      case PACKET_ERR:
        throw new GrpcError(Code.UNKNOWN, `error from the daemon's export: ${p.string(4)}`);
    }
  }
}
