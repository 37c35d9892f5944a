// Wildcard sources (`COPY *.txt /dst/`, `rm /tmp/*`): the path is split at its first component
// holding `*`, `?` or `[`; the fixed prefix is resolved in the root and the rest is matched,
// component by component, with shell-glob rules (`*` never crosses `/`, `\` escapes). A matching
// directory is one match: nothing below it is matched separately.
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot } from '../rootpath/index.ts';
import { FileOpError } from './errors.ts';

export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** Splits `/a/b/*.c/d` into the fixed prefix `/a/b` and the pattern components `['*.c', 'd']`. */
export function splitWildcards(p: string): { fixed: string; pattern: string[] } {
  const parts = posix
    .join('/', p)
    .split('/')
    .filter((s) => s !== '');
  const at = parts.findIndex(containsWildcards);
  if (at < 0) return { fixed: '/' + parts.join('/'), pattern: [] };
  return { fixed: '/' + parts.slice(0, at).join('/'), pattern: parts.slice(at) };
}

/**
 * Paths (absolute inside the root, sorted) matched by `p`. Without wildcards, `p` itself whether
 * it exists or not. `followLinks` decides whether a symlink as the fixed prefix's last component is
 * followed; symlinks below are never followed, as a directory walk would not.
 */
export async function resolveWildcards(root: string, p: string, followLinks: boolean): Promise<string[]> {
  const { fixed, pattern } = splitWildcards(p);
  if (pattern.length === 0) return [fixed];
  const base = await resolveInRoot(root, fixed, { followFinal: followLinks });
  // An unfollowed link as the prefix is a leaf, not a directory to list (the host would follow it).
  try {
    if (!(await lstat(base)).isDirectory()) return [];
  } catch {
    return [];
  }
  const matchers = pattern.map(globToRegExp);
  const out: string[] = [];
  const walk = async (host: string, inner: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(host, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    const names = entries.map((e) => e.name).sort();
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const name of names) {
      if (!matchers[depth]!.test(name)) continue;
      const childInner = posix.join(inner, name);
      if (depth === matchers.length - 1) out.push(childInner);
      else if (byName.get(name)!.isDirectory()) await walk(posix.join(host, name), childInner, depth + 1);
    }
  };
  await walk(base, fixed, 0);
  return out;
}

/** One path component's glob (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= glob.length) throw badPattern(glob);
      re += escapeRe(glob[i]!);
    } else if (ch === '[') {
      const end = classEnd(glob, i);
      if (end < 0) throw badPattern(glob);
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^') || body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      if (body === '') throw badPattern(glob);
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        const c = body[j]!;
        if (c === '\\') {
          j++;
          cls += escapeClass(body[j] ?? '\\');
        } else if (c === '-' && j > 0 && j < body.length - 1) cls += '-';
        else cls += escapeClass(c);
      }
      re += negate ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(re + '$', 's');
}

function classEnd(glob: string, open: number): number {
  let j = open + 1;
  if (glob[j] === '^' || glob[j] === '!') j++;
  for (; j < glob.length; j++) {
    if (glob[j] === '\\') j++;
    else if (glob[j] === ']') return j;
  }
  return -1;
}

function badPattern(glob: string): FileOpError {
  return new FileOpError('invalid', `invalid wildcard pattern "${glob}"`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeClass(c: string): string {
  return c.replace(/[\]\\^-]/g, '\\$&');
}
