// Bytes of regular files under a directory, each inode once (hard links are common in link
// farms and cache directories), plus the number of entries.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function measureDir(dir: string): Promise<{ size: number; entries: number }> {
  const out = { size: 0, entries: 0 };
  const seen = new Set<number>();
  const visit = async (d: string): Promise<void> => {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const name of names) {
      const p = join(d, name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      out.entries++;
      if (st.isDirectory()) await visit(p);
      else if (st.isFile() && !seen.has(st.ino)) {
        seen.add(st.ino);
        out.size += st.size;
      }
    }
  };
  await visit(dir);
  return out;
}
