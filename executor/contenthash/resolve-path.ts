// A path inside the hashed root, resolved as a process chrooted there would: symlinks (absolute or
// with `..`) stay inside the root. The last component is followed only when asked.
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ChecksumPathError } from './errors.ts';

const MAX_LINKS = 40;

/** Host path of `path` under `root` (which must be a real path), or undefined if absent. */
export async function resolveInTree(root: string, path: string, followLast: boolean): Promise<string | undefined> {
  const rest = segments(path);
  const done: string[] = [];
  let links = 0;
  while (rest.length > 0) {
    const name = rest.shift()!;
    if (name === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, name);
    let st;
    try {
      st = await lstat(host);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink() && (rest.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new ChecksumPathError(path, 'too many levels of symbolic links');
      const target = await readlink(host);
      if (target.startsWith('/')) done.length = 0;
      rest.unshift(...segments(target));
      continue;
    }
    done.push(name);
  }
  return join(root, ...done);
}

export function segments(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}
