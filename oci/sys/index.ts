// The native module of sys.c: mount(2), umount2(2), mknod(2), the xattr calls and a polled
// inotify without a child process per call (mount.ts picks the syscall or the tool). Optional: when it was not built (no C compiler at setup), cannot be loaded
// (another libc or architecture), or TSBUILD_NATIVE=0 turns it off, `nativeSys()` is undefined
// and callers spawn mount, umount, mknod, getfattr and setfattr as before.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface NativeSys {
  /** mount(2) on the thread pool. Rejects with an errno-coded Error (`code`, `syscall`, `path`). */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): Promise<void>;
  /** umount2(2) on the thread pool. */
  umount(target: string, flags: number): Promise<void>;
  /** mknod(2); `mode` holds the type bits (S_IFIFO, S_IFCHR, S_IFBLK) and the permissions. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** Every attribute of one path, not following a final symlink, as [path, name, value, …]. */
  lgetxattrs(path: string): (string | Buffer)[];
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** Every attribute of every file and directory under the roots (symlinks skipped), as [path, name, value, …]. */
  xattrTree(roots: readonly string[]): Promise<(string | Buffer)[]>;
  /** A non-blocking inotify descriptor (close it with fs.closeSync). */
  inotifyInit(): number;
  /** Watches a directory (not following a symlink) for changes to it and its entries; the watch descriptor. */
  inotifyAdd(fd: number, dir: string): number;
  /** Every queued event as [wd, mask, name, …] (name '' when the event is about the directory itself); [] when none. */
  inotifyRead(fd: number): (number | string)[];
}

/** inotify event bits (linux/inotify.h). */
export const IN = {
  ATTRIB: 0x4,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  Q_OVERFLOW: 0x4000,
  IGNORED: 0x8000,
  ISDIR: 0x40000000,
} as const;

/** umount2's flag for a lazy unmount. */
export const MNT_DETACH = 2;

let loaded: NativeSys | null | undefined;

/**
 * The sources and lib/ keep the module in ./build beside this file; the prebuilt CLI's chunks
 * live in dist/<build>/, two levels below the checkout.
 */
const candidates = ['./build/tsbuild-sys.node', '../../oci/sys/build/tsbuild-sys.node'];

export function nativeSys(): NativeSys | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): NativeSys | null {
  if (process.env.TSBUILD_NATIVE === '0' || process.platform !== 'linux') return null;
  const require = createRequire(import.meta.url);
  for (const c of candidates) {
    try {
      return require(fileURLToPath(new URL(c, import.meta.url))) as NativeSys;
    } catch {
      // Not there, or not loadable here: the next place, then the tools.
    }
  }
  return null;
}

/** [path, name, value, …] as attributes by path. */
export function xattrRecords(flat: readonly (string | Buffer)[]): Map<string, Map<string, Buffer>> {
  const out = new Map<string, Map<string, Buffer>>();
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const path = flat[i] as string;
    let m = out.get(path);
    if (!m) out.set(path, (m = new Map<string, Buffer>()));
    m.set(flat[i + 1] as string, flat[i + 2] as Buffer);
  }
  return out;
}
