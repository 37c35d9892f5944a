// mkfile: writes the action's bytes to a path (through symlinks, confined to the root). A new file
// gets the action's mode exactly; an existing one is truncated and keeps its mode, like
// os.WriteFile in BuildKit.
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileActionMkFile } from '../../llb/index.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { applyMeta, timestampSeconds } from './file-meta.ts';
import type { Owner } from './owner.ts';

export async function mkfileAction(root: string, action: FileActionMkFile, owner: Owner | undefined): Promise<void> {
  const host = await resolveInRoot(root, posix.join('/', action.path ?? ''));
  const mode = (action.mode ?? 0) & 0o777;
  let created = true;
  let fh;
  try {
    fh = await open(host, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
    fh = await open(host, 'w');
  }
  try {
    await fh.writeFile(action.data ?? new Uint8Array());
  } finally {
    await fh.close();
  }
  await applyMeta(host, { owner, mode: created ? mode : undefined, time: timestampSeconds(action.timestamp) });
}
