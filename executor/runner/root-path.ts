// Paths inside a container's rootfs, resolved on the host as the container would see them: a
// symlink in the rootfs (absolute or with `..`) can never lead outside it.
import { lstat, mkdir, chown } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot, splitPath } from '../rootpath/index.ts';

export { resolveInRoot };

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
