// Dockerfile path rules: destinations relative to WORKDIR keep a trailing slash; URL and git
// source detection for ADD.
import { posix } from 'node:path';

export function resolveDest(dest: string, workdir: string): string {
  const trailing = dest.endsWith('/') || dest.endsWith('/.') || dest === '.';
  let out = posix.isAbsolute(dest) ? posix.normalize(dest) : posix.join('/', workdir, dest);
  if (trailing && !out.endsWith('/')) out += '/';
  return out;
}

export function resolveWorkdir(path: string, current: string): string {
  return posix.normalize(posix.isAbsolute(path) ? path : posix.join('/', current, path)).replace(/(.)\/$/, '$1');
}

export function isHTTPURL(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** Git remotes as BuildKit recognises them for ADD. */
export function isGitURL(s: string): boolean {
  if (/^(git:\/\/|git@|ssh:\/\/)/.test(s)) return true;
  if (/^https?:\/\/[^#]+\.git(#.*)?$/.test(s)) return true;
  return /^github\.com\/[^/]+\/[^/]+/.test(s);
}

/** `url#ref:subdir` → parts. */
export function splitGitURL(s: string): { remote: string; ref?: string; subdir?: string } {
  const hash = s.indexOf('#');
  if (hash < 0) return { remote: s };
  const frag = s.slice(hash + 1);
  const colon = frag.indexOf(':');
  const ref = colon < 0 ? frag : frag.slice(0, colon);
  const subdir = colon < 0 ? undefined : frag.slice(colon + 1);
  return { remote: s.slice(0, hash), ...(ref ? { ref } : {}), ...(subdir ? { subdir } : {}) };
}

/** The file name an HTTP source is saved under (the URL's last path segment). */
export function urlFilename(url: string): string {
  try {
    const base = posix.basename(new URL(url).pathname);
    return base === '' || base === '/' ? '__unnamed__' : decodeURIComponent(base);
  } catch {
    return '__unnamed__';
  }
}

export function hasWildcard(p: string): boolean {
  return /[*?[]/.test(p);
}
