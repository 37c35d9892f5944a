// `.dockerignore` files: one pattern per line, `#` comments, `!` re-includes. Patterns are
// cleaned the way Docker cleans them (leading `/` dropped, `.`/`..` resolved) and become the
// exclude patterns of the build-context source.
import { posix } from 'node:path';

export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    let line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (line === '') continue;
    let invert = false;
    if (line.startsWith('!')) {
      invert = true;
      line = line.slice(1).trim();
    }
    if (line.length > 0) {
      line = posix.normalize(line);
      if (line.startsWith('/')) line = line.slice(1) || '/';
      if (line.length > 1 && line.endsWith('/')) line = line.slice(0, -1);
      if (line === '.' || line === '/') continue;
    }
    out.push(invert ? '!' + line : line);
  }
  return out;
}
