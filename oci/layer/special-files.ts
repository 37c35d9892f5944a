// FIFOs and device nodes, overlay whiteouts among them. Node has no mknod(2): the native module
// (../sys) makes the call, and without it mknod(1) (coreutils) does, a process per node.
import { constants } from 'node:fs';
import { nativeSys } from '../sys/index.ts';
import { runTool, ToolError } from '../tool.ts';

export type NodeKind = 'fifo' | 'char' | 'block';

const typeBits: Record<NodeKind, number> = { fifo: constants.S_IFIFO, char: constants.S_IFCHR, block: constants.S_IFBLK };

/** Creates a FIFO or device node at `path` (mode 0600; the caller sets mode and owner). */
export async function makeNode(path: string, kind: NodeKind, major = 0, minor = 0): Promise<void> {
  const what = kind === 'fifo' ? 'FIFO' : `${kind} device`;
  const sys = nativeSys();
  if (sys) {
    try {
      sys.mknod(path, typeBits[kind] | 0o600, major, minor);
    } catch (e) {
      throw new Error(`cannot create ${what} ${path}: ${(e as Error).message}`, { cause: e });
    }
    return;
  }
  const spec = kind === 'fifo' ? ['p'] : [kind === 'char' ? 'c' : 'b', String(major), String(minor)];
  await runTool('mknod', ['-m', '600', '--', path, ...spec]).catch((e: unknown) => {
    throw new Error(`cannot create ${what} ${path}: ${e instanceof ToolError ? e.detail : String(e)}`, { cause: e });
  });
}

/** Overlay whiteouts (character devices 0/0, mode 0666 less the umask, as mknod(1) makes them) at every path. */
export async function makeWhiteoutDevices(paths: readonly string[]): Promise<void> {
  const sys = nativeSys();
  if (sys) {
    for (const p of paths) sys.mknod(p, constants.S_IFCHR | 0o666, 0, 0);
    return;
  }
  for (let i = 0; i < paths.length; i += 500) {
    await runTool('sh', ['-c', 'for p in "$@"; do mknod "$p" c 0 0 || exit 1; done', 'sh', ...paths.slice(i, i + 500)]);
  }
}

/** Major number of a Linux `st_rdev`. */
export function devMajor(rdev: bigint | number): number {
  const r = BigInt(rdev);
  return Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
}

/** Minor number of a Linux `st_rdev`. */
export function devMinor(rdev: bigint | number): number {
  const r = BigInt(rdev);
  return Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
}
