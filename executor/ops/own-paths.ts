// What the build writes itself (its state root, its outputs) is never part of a build context,
// even when it lies inside one: reading it would copy the cache into the image, or last build's
// output into this one, and a watcher would see every build as an edit.
import { relative, resolve, sep } from 'node:path';

/** Exclude patterns for the paths in `own` that lie strictly inside the context `dir`. */
export function ownPathPatterns(dir: string, own: readonly string[]): string[] {
  const root = resolve(dir);
  const out: string[] = [];
  for (const p of own) {
    const rel = relative(root, resolve(p));
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) continue;
    out.push(escapePattern(rel.split(sep).join('/')));
  }
  return out;
}

/** A pattern matching exactly `path`: wildcards and a leading `!` taken literally. */
function escapePattern(path: string): string {
  const escaped = path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
  return escaped.startsWith('!') ? `\\${escaped}` : escaped;
}
