// Disk usage of a snapshot's own directory: content bytes (each inode once) and entries.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './types.ts';

export interface Measured extends Usage {
  /** Overlay whiteout devices (char 0/0). */
  whiteouts: number;
}

export async function measure(dir: string): Promise<Measured> {
  const out: Measured = { size: 0, inodes: 0, whiteouts: 0 };
  const seen = new Set<number>();
  const visit = async (d: string): Promise<void> => {
    const names = await readdir(d);
    const stats = await Promise.all(names.map((n) => lstat(join(d, n))));
    for (let i = 0; i < names.length; i++) {
      const st = stats[i]!;
      out.inodes++;
      if (st.isFile()) {
        if (st.nlink > 1) {
          if (seen.has(st.ino)) continue;
          seen.add(st.ino);
        }
        out.size += st.size;
      } else if (st.isCharacterDevice() && st.rdev === 0) out.whiteouts++;
      else if (st.isDirectory()) await visit(join(d, names[i]!));
    }
  };
  await visit(dir);
  return out;
}

export async function countWhiteouts(dir: string): Promise<number> {
  return (await measure(dir)).whiteouts;
}
