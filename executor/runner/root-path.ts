// Paths inside a container's rootfs, resolved on the host as the container would see them: a
// symlink in the rootfs (absolute or with `..`) can never lead outside it.
import { lstat, mkdir, readlink, chown } from 'node:fs/promises';
import { join, posix } from 'node:path';

const MAX_LINKS = 40;

/**
 * Host path of `path` as seen inside `root`, following symlinks confined to `root`. Components
 * that do not exist are appended as they are.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const rest = splitPath(path);
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
      done.push(name, ...rest);
      return join(root, ...normalize(done));
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links resolving ${path}`);
      const target = await readlink(host);
      if (target.startsWith('/')) done.length = 0;
      rest.unshift(...splitPath(target));
      continue;
    }
    done.push(name);
  }
  return join(root, ...done);
}

/** mkdir -p inside `root`; directories it creates get `mode` and owner `uid:gid`. */
export async function mkdirAllInRoot(root: string, path: string, uid: number, gid: number, mode = 0o755): Promise<void> {
  const parts = splitPath(path);
  let current = '/';
  for (const part of parts) {
    current = posix.join(current, part);
    const host = await resolveInRoot(root, current);
    try {
      const st = await lstat(host);
      if (!st.isDirectory()) throw new Error(`${current} exists in the rootfs and is not a directory`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(host, { mode });
      await chown(host, uid, gid);
    }
  }
}

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

function normalize(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out;
}
