// mkdir: one directory, or with makeParents every missing one up to it, all with the action's
// mode, owner and time. An existing directory is left untouched, as BuildKit does.
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileActionMkDir } from '../../llb/index.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { applyMeta, mkdirAll, timestampSeconds } from './file-meta.ts';
import type { Owner } from './owner.ts';

export async function mkdirAction(root: string, action: FileActionMkDir, owner: Owner | undefined): Promise<void> {
  const host = await resolveInRoot(root, posix.join('/', action.path ?? ''));
  const mode = (action.mode ?? 0) & 0o777;
  const time = timestampSeconds(action.timestamp);
  if (action.makeParents) {
    await mkdirAll(host, mode, owner, time);
    return;
  }
  try {
    await mkdir(host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  await applyMeta(host, { owner, mode, time });
}
