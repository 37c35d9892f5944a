// `chmod`-style modes for COPY --chmod: octal (`755`, `0644`) or symbolic clauses
// (`u+x,g-w`, `+x`, `a=rX`, `g=u`, `u+s`, `o+t`), applied to each copied file's own mode. As
// with a umask of 0, a clause without `u`, `g`, `o` or `a` applies to everyone.
import { FileOpError } from './errors.ts';

/** Maps a file's current mode (permission and special bits) to its new one. */
export type ModeChange = (mode: number, isDir: boolean) => number;

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

export function parseModeString(spec: string): ModeChange {
  if (/^[0-7]{1,4}$/.test(spec)) {
    const fixed = parseInt(spec, 8);
    return () => fixed;
  }
  const clauses = spec.split(',').map((c) => parseClause(c, spec));
  return (mode, isDir) => {
    let m = mode & 0o7777;
    for (const apply of clauses) m = apply(m, isDir);
    return m;
  };
}

function parseClause(clause: string, spec: string): (mode: number, isDir: boolean) => number {
  const m = /^([ugoa]*)((?:[-+=][rwxXst]*|[-+=][ugo])+)$/.exec(clause);
  if (!m) throw new FileOpError('invalid', `invalid chmod mode "${spec}": use octal (755) or symbolic clauses like u+x,g-w or a=rX`);
  const who = m[1] === '' ? 0o7777 : [...m[1]!].reduce((acc, c) => acc | WHO_BITS[c]!, 0);
  const actions = [...m[2]!.matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map((a) => ({ op: a[1]!, perm: a[2]! }));
  return (mode, isDir) => {
    for (const { op, perm } of actions) {
      const bits = permBits(perm, mode, isDir) & who;
      if (op === '+') mode |= bits;
      else if (op === '-') mode &= ~bits;
      else mode = (mode & ~who) | bits;
    }
    return mode;
  };
}

function permBits(perm: string, mode: number, isDir: boolean): number {
  if (perm === 'u' || perm === 'g' || perm === 'o') {
    const shift = perm === 'u' ? 6 : perm === 'g' ? 3 : 0;
    return ((mode >> shift) & 7) * 0o111;
  }
  let bits = 0;
  for (const c of perm) {
    if (c === 'r') bits |= 0o444;
    else if (c === 'w') bits |= 0o222;
    else if (c === 'x') bits |= 0o111;
    else if (c === 'X') bits |= isDir || (mode & 0o111) !== 0 ? 0o111 : 0;
    else if (c === 's') bits |= 0o6000;
    else if (c === 't') bits |= 0o1000;
  }
  return bits;
}
