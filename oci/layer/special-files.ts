// FIFOs and device nodes. Node has no mknod(2), so mknod(1) (coreutils) makes them; a rootfs holds
// few, so one process each costs little.
import { runTool, ToolError } from '../tool.ts';

export type NodeKind = 'fifo' | 'char' | 'block';

/** Creates a FIFO or device node at `path` (mode 0600; the caller sets mode and owner). */
export function makeNode(path: string, kind: NodeKind, major = 0, minor = 0): Promise<void> {
  const spec = kind === 'fifo' ? ['p'] : [kind === 'char' ? 'c' : 'b', String(major), String(minor)];
  return runTool('mknod', ['-m', '600', '--', path, ...spec]).then(
    () => undefined,
    (e: unknown) => {
      throw new Error(`cannot create ${kind === 'fifo' ? 'FIFO' : `${kind} device`} ${path}: ${e instanceof ToolError ? e.detail : String(e)}`, { cause: e });
    },
  );
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
