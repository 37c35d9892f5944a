// copy: Docker's COPY/ADD placement rules over the copier.
//
//   dest ends in `/` (or is an existing directory)  → each source goes inside it, by its name
//   source is a directory, dirCopyContents          → its contents merge into dest
//   source is a directory, dest exists              → the directory goes inside dest
//   otherwise                                       → the source becomes dest
//
// Missing parents of dest are created (mode 0755 or the copy's octal mode, the copy's owner and
// time) when createDestPath is set; without it dest's parent must exist. A local archive is
// unpacked into dest when attemptUnpackDockerCompatibility is set.
import { lstat, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { BigIntStats } from 'node:fs';
import type { FileActionCopy } from '../../llb/index.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { mkdirAll, timestampSeconds } from './file-meta.ts';
import { TreeCopier, statOrUndefined, type CopyTreeOptions } from './copy-tree.ts';
import { cleanCopyPath, copyFilters, selectCopySources } from './copy-sources.ts';
import { parseModeString } from './symbolic-mode.ts';
import { archiveCompression, extractArchive, prepareUnpackDir } from './unpack-archive.ts';
import { FileOpError } from './errors.ts';
import type { Owner } from './owner.ts';

export interface CopyContext {
  /** Host directory of the source tree (`secondaryInput`). */
  srcRoot: string;
  /** Host directory of the destination tree (`input`), written in place. */
  dstRoot: string;
  /** Resolved `--chown`, if any. */
  owner: Owner | undefined;
  /** Owner given to copied paths without `--chown` (a local context reads as root's). */
  sourceOwner?: Owner | undefined;
  /** Called with each regular file's stat (path inside the source) before it is read. */
  onSourceFile?: ((path: string, st: BigIntStats) => void | Promise<void>) | undefined;
  /** See CopyTreeOptions.placeFile. */
  placeFile?: CopyTreeOptions['placeFile'];
  /** See CopyTreeOptions.knownStat. */
  knownStat?: CopyTreeOptions['knownStat'];
}

export async function copyAction(action: FileActionCopy, ctx: CopyContext): Promise<void> {
  const dest = cleanCopyPath(action.dest ?? '');
  const normalDest = posix.normalize(dest);
  if (!action.createDestPath && normalDest !== '/') {
    const host = await resolveInRoot(ctx.dstRoot, normalDest);
    try {
      await lstat(dirname(host));
    } catch {
      const parent = posix.dirname(normalDest);
      throw new FileOpError('not-found', `cannot copy to ${action.dest}: directory ${parent} does not exist`, parent);
    }
  }

  const sources = await selectCopySources(ctx.srcRoot, action);
  if (sources.length === 0) return;

  const octal = action.mode ?? 0;
  const modeChange = action.modeStr ? parseModeString(action.modeStr) : undefined;
  const mode = modeChange || octal === -1 ? undefined : octal;
  const time = timestampSeconds(action.timestamp);
  const dirMode = mode ?? 0o755;
  const { include, exclude } = copyFilters(action);
  const copier = new TreeCopier({
    srcRoot: ctx.srcRoot,
    dstRoot: ctx.dstRoot,
    owner: ctx.owner,
    sourceOwner: ctx.sourceOwner,
    mode,
    modeChange,
    time,
    include,
    exclude,
    alwaysReplace: action.alwaysReplaceExistingDestPaths,
    onSourceFile: ctx.onSourceFile,
    placeFile: ctx.placeFile,
    knownStat: ctx.knownStat,
  });

  const createdDirs: string[] = [];
  for (const source of sources) {
    if (action.attemptUnpackDockerCompatibility && source.kind !== 'directory') {
      const archiveHost = await resolveInRoot(ctx.srcRoot, source.path);
      const compression = await archiveCompression(archiveHost).catch((err: unknown) => {
        if (err instanceof FileOpError) throw err;
        return undefined;
      });
      if (compression !== undefined) {
        const into = await prepareUnpackDir(ctx.dstRoot, normalDest, ctx.owner, time);
        await extractArchive(archiveHost, compression, into, ctx.owner);
        continue;
      }
    }

    // The directories dest itself needs: all of it when it names a directory (`/x/`).
    const lastSlash = dest.lastIndexOf('/');
    const leaf = dest.slice(lastSlash + 1);
    const needed = leaf === '' || leaf === '.' ? dest : dest.slice(0, lastSlash + 1);
    createdDirs.push(...(await mkdirAll(await resolveInRoot(ctx.dstRoot, needed), dirMode, ctx.owner, time)));

    const dst = await resolveInRoot(ctx.dstRoot, normalDest);
    const srcSt = await lstat(source.host);
    const dstSt = await statOrUndefined(dst);
    const srcIsDir = srcSt.isDirectory();
    let target = dst;
    if ((!action.dirCopyContents && srcIsDir && dstSt) || (!srcIsDir && dstSt?.isDirectory())) {
      target = join(dst, posix.basename(source.path));
    }
    const parent = action.dirCopyContents && srcIsDir && !dstSt ? target : dirname(target);
    createdDirs.push(...(await mkdirAll(parent, dirMode, ctx.owner, time)));
    await copier.copy(source.host, target);
  }
  // Copying into new parents changed their times; the requested time is what they must show.
  if (time !== undefined) for (const dir of createdDirs.reverse()) await utimes(dir, time, time);
}
