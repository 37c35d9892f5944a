// symlink: creates `newpath` pointing at `oldpath`. The target text is stored as given (it is only
// ever followed inside a root); the link's own parent is resolved inside the root.
import { symlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileActionSymlink } from '../../llb/index.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { applyMeta, timestampSeconds } from './file-meta.ts';
import type { Owner } from './owner.ts';
import { FileOpError } from './errors.ts';

export async function symlinkAction(root: string, action: FileActionSymlink, owner: Owner | undefined): Promise<void> {
  const newpath = posix.join('/', action.newpath ?? '');
  if (newpath === '/') throw new FileOpError('invalid', 'symlink: newpath is empty');
  const host = await resolveInRoot(root, newpath, { followFinal: false });
  await symlink(action.oldpath ?? '', host);
  await applyMeta(host, { owner, time: timestampSeconds(action.timestamp), symlink: true });
}
