// rm: removes a path and everything under it, never following a symlink in its last component
// (removing a link removes the link). With allowWildcard, every match is removed and no match is
// not an error.
import { lstat, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileActionRm } from '../../llb/index.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { resolveWildcards } from './wildcards.ts';
import { FileOpError } from './errors.ts';

export async function rmAction(root: string, action: FileActionRm): Promise<void> {
  const path = posix.join('/', action.path ?? '');
  const targets = action.allowWildcard ? await resolveWildcards(root, path, false) : [path];
  for (const target of targets) await removePath(root, target, action.allowNotFound ?? false);
}

async function removePath(root: string, path: string, allowNotFound: boolean): Promise<void> {
  if (path === '/') throw new FileOpError('invalid', 'rm: refusing to remove the root directory', '/');
  const host = await resolveInRoot(root, path, { followFinal: false });
  if (!allowNotFound) {
    try {
      await lstat(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileOpError('not-found', `rm ${path}: no such file or directory`, path);
      throw err;
    }
  }
  await rm(host, { recursive: true, force: true });
}
