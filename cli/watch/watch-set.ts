// Exactly what a build reads, as a WatchSet: the build description and the modules it imports,
// the ignore files, and the parts of each local source that the definition selects. A build that
// failed in its frontend is watched the same way, over the files read up to the failure.
import { dirname, join, sep } from 'node:path';
import { decodeDefinition } from '../../llb/index.ts';
import { PathFilter } from '../../executor/index.ts';
import { FrontendError } from '../../frontends/driver.ts';
import { ownPaths, type BuildRequest, type CompiledBuild } from '../build/index.ts';
import type { WatchedContext, WatchSet } from './file-watch.ts';

function patterns(attrs: Record<string, string>, key: string): string[] {
  const raw = attrs[key];
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * What a build read: its description's files and, when the frontend got that far, the local
 * sources its definition selects.
 */
export function watchSetFor(compiled: Pick<CompiledBuild, 'dependencies'> & Partial<Pick<CompiledBuild, 'definition'>>, req: BuildRequest): WatchSet {
  const dirs: Record<string, string> = { ...req.locals, context: req.contextDir };
  const contexts: WatchedContext[] = [];
  const ops = compiled.definition ? decodeDefinition(compiled.definition).ops : [];
  for (const { op } of ops) {
    const id = op.source?.identifier;
    if (!id?.startsWith('local://')) continue;
    const root = dirs[id.slice('local://'.length)];
    if (!root) continue;
    const attrs = op.source?.attrs ?? {};
    const filter = new PathFilter({
      include: patterns(attrs, attrs['local.includepatterns'] !== undefined ? 'local.includepatterns' : 'local.includepattern'),
      exclude: patterns(attrs, 'local.excludepatterns'),
    });
    contexts.push({ root, ignores: (rel, isDir) => (isDir ? !filter.descend(rel) : !filter.selects(rel)) });
  }
  // The ignore files decide what the context holds, so an edit to them is a change too.
  const ignoreFiles = [join(req.contextDir, '.dockerignore'), join(dirname(req.file), `${req.file.split('/').pop()}.dockerignore`)];
  // What the build writes is ignored, unless it holds a whole context (then the edits are real).
  const ignored = ownPaths(req).filter((p) => !contexts.some((c) => c.root === p || c.root.startsWith(p + sep)));
  return { files: [...new Set([...compiled.dependencies, ...ignoreFiles])], contexts, ignored };
}

/**
 * What to watch after a build that threw. A frontend failure names the files its build
 * description had read up to the failure (a module that does not parse, a file it read): the
 * fix is an edit to one of them. Any other failure says nothing of files: the last set stays.
 */
export function watchSetAfterFailure(error: unknown, req: BuildRequest, last: WatchSet): WatchSet {
  if (!(error instanceof FrontendError)) return last;
  return watchSetFor({ dependencies: [req.file, ...error.dependencies] }, req);
}
