// What a copy reads from its source tree: the wildcard matches of `src` (or `src` itself), each
// with its last symlink followed when the copy follows symlinks, and, when include/exclude
// patterns filter a directory, the paths under it that pass. The op computes content cache keys
// over exactly these paths, and the copy itself copies exactly these, so a file that no copy
// selects never changes a key.
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { FileActionCopy } from '../../llb/index.ts';
import { resolveInRoot, pathInRoot } from '../rootpath/index.ts';
import { resolveWildcards } from './wildcards.ts';
import { createPathFilter, type PathFilter } from './path-filter.ts';
import { FileOpError } from './errors.ts';

export interface CopySource {
  /** The matched path inside the source tree, as the copy names it (its base name is kept). */
  path: string;
  /** The path inside the source tree whose content is read (`path` with a final link followed). */
  resolved: string;
  /** Host path of `resolved`. */
  host: string;
  kind: 'file' | 'directory' | 'symlink' | 'other';
  /**
   * With include/exclude patterns on a directory: the paths under `resolved` (relative, `/`
   * separated, directories included) that are copied. Undefined: the whole subtree is.
   */
  entries?: string[];
}

/** `BuildKit`'s clean of a source or destination: rooted, keeping a trailing `/` or `/.`. */
export function cleanCopyPath(p: string): string {
  const cleaned = posix.join('/', p);
  if (p.endsWith('/.') && cleaned !== '/') return cleaned + '/.';
  if (p.endsWith('/') && cleaned !== '/') return cleaned + '/';
  return cleaned;
}

export interface CopyFilters {
  include: PathFilter | undefined;
  exclude: PathFilter | undefined;
}

export function copyFilters(action: FileActionCopy): CopyFilters {
  const inc = action.includePatterns ?? [];
  const exc = action.excludePatterns ?? [];
  return {
    include: inc.length > 0 ? createPathFilter(inc) : undefined,
    exclude: exc.length > 0 ? createPathFilter(exc) : undefined,
  };
}

/**
 * The paths `action` reads from the tree at `srcRoot`. Fails with a FileOpError naming the
 * path when a source or a required path is missing, or a wildcard matches nothing and empty
 * matches are not allowed. An empty list means an allowed empty wildcard: nothing to copy.
 */
export async function selectCopySources(srcRoot: string, action: FileActionCopy): Promise<CopySource[]> {
  const src = cleanCopyPath(action.src ?? '');
  const follow = action.followSymlink ?? false;
  const matches = action.allowWildcard ? await resolveWildcards(srcRoot, src, follow) : [src];
  if (matches.length === 0) {
    if (action.allowEmptyWildcard) return [];
    throw new FileOpError('not-found', `"${src}": not found: no file matches the wildcard`, src);
  }
  // Required paths are relative to the copied source (`COPY --parents src/./lib/a.ts` copies
  // /src with the pattern and required path lib/a.ts), as include patterns are.
  for (const required of action.requiredPaths ?? []) {
    for (const match of matches) {
      const p = posix.join('/', match, required);
      try {
        await lstat(await resolveInRoot(srcRoot, p, { followFinal: false }));
      } catch {
        throw new FileOpError('not-found', `"${p}": not found`, p);
      }
    }
  }
  const filters = copyFilters(action);
  const out: CopySource[] = [];
  for (const path of matches) {
    const host = await resolveInRoot(srcRoot, path, { followFinal: follow });
    let st;
    try {
      st = await lstat(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileOpError('not-found', `"${path}": not found`, path);
      throw err;
    }
    const kind = st.isDirectory() ? 'directory' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    const source: CopySource = { path, resolved: pathInRoot(srcRoot, host), host, kind };
    if (kind === 'directory' && (filters.include || filters.exclude)) source.entries = await filteredEntries(host, filters);
    out.push(source);
  }
  return out;
}

/**
 * The relative paths under `dir` that the copier writes: those passing the filters, plus the
 * directories above them, which are created (with their metadata) to hold them.
 */
async function filteredEntries(dir: string, { include, exclude }: CopyFilters): Promise<string[]> {
  const out: string[] = [];
  const pending: Array<{ rel: string; listed: boolean }> = [];
  const walk = async (host: string, rel: string): Promise<void> => {
    const entries = await readdir(host, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      let included = include ? include.matches(childRel) : true;
      let excluded = false;
      if (exclude?.matches(childRel)) {
        included = false;
        excluded = true;
      }
      if (!included && !include && !exclude?.hasExclusions) continue;
      if (included) {
        for (const p of pending) {
          if (p.listed) continue;
          out.push(p.rel);
          p.listed = true;
        }
        out.push(childRel);
      }
      if (!e.isDirectory() || (excluded && !exclude?.hasExclusions)) continue;
      pending.push({ rel: childRel, listed: included });
      await walk(posix.join(host, e.name), childRel);
      pending.pop();
    }
  };
  await walk(dir, '');
  return out;
}
