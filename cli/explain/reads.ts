// Which paths of one input a step reads, from its recorded op: a COPY reads its source paths
// (wildcards, include and exclude patterns applied below each match), an exec reads what it
// mounts from the input. Used to narrow a context's changed files down to those the step sees.
import { posix } from 'node:path';
import type { JSONValue } from '../../llb/index.ts';
import { PathFilter, Pattern } from '../../executor/patterns/index.ts';
import { obj, array, strings, str, num } from './json.ts';

export interface Selection {
  /** Absolute, cleaned path inside the input. */
  readonly path: string;
  readonly wildcard: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** What `op` reads of its input `index`: the selections, or 'all'. */
export function readsOf(op: JSONValue, index: number): Selection[] | 'all' {
  const o = obj(op);
  if (o.file !== undefined) {
    const out: Selection[] = [];
    for (const a of array(obj(o.file).actions).map(obj)) {
      // The tree an action changes is read as a whole.
      if (num(a.input) === index && a.copy === undefined) return 'all';
      if (a.copy !== undefined && num(a.secondaryInput) === index) {
        const c = obj(a.copy);
        out.push({ path: clean(str(c.src)), wildcard: c.allowWildcard === true, include: strings(c.includePatterns), exclude: strings(c.excludePatterns) });
        for (const r of strings(c.requiredPaths)) out.push({ path: clean(r), wildcard: false, include: [], exclude: [] });
      }
      if (a.copy !== undefined && num(a.input) === index) return 'all';
      const owner = obj(obj(a.copy ?? a.mkfile ?? a.mkdir ?? a.symlink).owner);
      for (const u of [obj(owner.user), obj(owner.group)]) {
        const byName = u.byName;
        if (byName !== undefined && num(obj(byName).input) === index) {
          out.push({ path: '/etc/passwd', wildcard: false, include: [], exclude: [] }, { path: '/etc/group', wildcard: false, include: [], exclude: [] });
        }
      }
    }
    return out;
  }
  if (o.exec !== undefined) {
    const mounts = array(obj(o.exec).mounts)
      .map(obj)
      .filter((m) => m.input !== undefined && num(m.input) === index);
    if (mounts.length === 0) return 'all';
    return mounts.map((m) => ({ path: clean(str(m.selector) || '/'), wildcard: false, include: [], exclude: [] }));
  }
  return 'all';
}

/** Whether a manifest entry (`src/a.ts`, or `src/` for a directory) is read through `selections`. */
export function isRead(selections: Selection[] | 'all', entry: string): boolean {
  if (selections === 'all') return true;
  const parts = entry.split('/').filter((s) => s !== '');
  return selections.some((s) => selects(s, parts));
}

function selects(s: Selection, parts: readonly string[]): boolean {
  const segs = s.path.split('/').filter((x) => x !== '' && x !== '.');
  // An ancestor of the selected path: its own metadata is not what the step copies.
  if (parts.length < segs.length) return false;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const part = parts[i]!;
    if (s.wildcard && /[*?[\\]/.test(seg) ? !new Pattern(seg, false).match(part) : seg !== part) return false;
  }
  const rest = parts.slice(segs.length).join('/');
  if (rest === '' || (s.include.length === 0 && s.exclude.length === 0)) return true;
  return new PathFilter({ include: s.include, exclude: s.exclude }).selects(rest);
}

function clean(p: string): string {
  return posix.join('/', p).replace(/\/\.?$/, '') || '/';
}
