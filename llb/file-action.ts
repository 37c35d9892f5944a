// File actions: small immutable chains that `state.file(...)` turns into one FileOp.
//
//   state.file(
//     mkdir('/app', 0o755, { makeParents: true })
//       .copy(context, 'src/', '/app/', { chown: 'node:node' })
//       .mkfile('/app/VERSION', 0o644, '1.0\n')
//       .rm('/app/tmp', { allowNotFound: true }),
//   )
//
// Each call returns a new action that points at the one before it; nothing is resolved until
// the chain is bound to a state. Relative paths resolve against the state's `dir` (copy sources
// against the source state's `dir`), as BuildKit does.
import { StateError } from './errors.ts';
import { propsOf, type Output } from './node.ts';
import type { State } from './state.ts';

/** `"user"`, `"user:group"`, `"1000:1000"`, a uid, or an object. Names resolve against /etc/passwd and /etc/group of the target. */
export type Chown = string | number | { readonly user?: string | number; readonly group?: string | number };

/** A creation time: a Date, or unix nanoseconds. */
export type CreatedTime = Date | bigint;

export interface MkdirOptions {
  readonly makeParents?: boolean;
  readonly chown?: Chown;
  readonly createdTime?: CreatedTime;
}
export interface MkfileOptions {
  readonly chown?: Chown;
  readonly createdTime?: CreatedTime;
}
export interface RmOptions {
  readonly allowNotFound?: boolean;
  readonly allowWildcard?: boolean;
}
export interface SymlinkOptions {
  readonly chown?: Chown;
  readonly createdTime?: CreatedTime;
}
export interface CopyOptions {
  readonly chown?: Chown;
  /** A mode (0o755) or a symbolic chmod (`u+x`). Default: keep the source's. */
  readonly chmod?: number | string;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly requiredPaths?: readonly string[];
  readonly followSymlinks?: boolean;
  /** Copy what is inside a source directory rather than the directory itself. */
  readonly copyDirContents?: boolean;
  readonly createDestPath?: boolean;
  readonly allowWildcard?: boolean;
  readonly allowEmptyWildcard?: boolean;
  /** Unpack local archives like Dockerfile ADD does. */
  readonly attemptUnpack?: boolean;
  readonly alwaysReplaceExistingDestPaths?: boolean;
  readonly createdTime?: CreatedTime;
}

export type UserRef = { readonly id: number } | { readonly name: string };
export interface ChownSpec {
  readonly user?: UserRef;
  readonly group?: UserRef;
}

export type ActionSpec =
  | {
      readonly kind: 'mkdir';
      readonly path: string;
      readonly mode: number;
      readonly makeParents: boolean;
      readonly chown?: ChownSpec;
      readonly timestamp: bigint | number;
    }
  | {
      readonly kind: 'mkfile';
      readonly path: string;
      readonly mode: number;
      readonly data: Uint8Array;
      readonly chown?: ChownSpec;
      readonly timestamp: bigint | number;
    }
  | { readonly kind: 'rm'; readonly path: string; readonly allowNotFound: boolean; readonly allowWildcard: boolean }
  | { readonly kind: 'symlink'; readonly oldpath: string; readonly newpath: string; readonly chown?: ChownSpec; readonly timestamp: bigint | number }
  | {
      readonly kind: 'copy';
      readonly from: { readonly output: Output | undefined; readonly dir: string | undefined };
      readonly src: string;
      readonly dest: string;
      readonly options: CopyOptions;
      readonly chown?: ChownSpec;
      readonly timestamp: bigint | number;
    };

export class FileAction {
  readonly #prev: FileAction | undefined;
  readonly #spec: ActionSpec;

  constructor(spec: ActionSpec, prev?: FileAction) {
    this.#spec = spec;
    this.#prev = prev;
    Object.freeze(this);
  }

  /** The actions of the chain, first to last. */
  actions(): ActionSpec[] {
    const out: ActionSpec[] = [this.#spec];
    for (let a = this.#prev; a; a = a.#prev) out.push(a.#spec);
    return out.reverse();
  }

  mkdir(path: string, mode: number, opts?: MkdirOptions): FileAction {
    return new FileAction(mkdirSpec(path, mode, opts), this);
  }
  mkfile(path: string, mode: number, data: string | Uint8Array, opts?: MkfileOptions): FileAction {
    return new FileAction(mkfileSpec(path, mode, data, opts), this);
  }
  rm(path: string, opts?: RmOptions): FileAction {
    return new FileAction(rmSpec(path, opts), this);
  }
  symlink(oldpath: string, newpath: string, opts?: SymlinkOptions): FileAction {
    return new FileAction(symlinkSpec(oldpath, newpath, opts), this);
  }
  copy(from: State, src: string, dest: string, opts?: CopyOptions): FileAction {
    return new FileAction(copySpec(from, src, dest, opts), this);
  }
}

export function mkdir(path: string, mode: number, opts?: MkdirOptions): FileAction {
  return new FileAction(mkdirSpec(path, mode, opts));
}
export function mkfile(path: string, mode: number, data: string | Uint8Array, opts?: MkfileOptions): FileAction {
  return new FileAction(mkfileSpec(path, mode, data, opts));
}
export function rm(path: string, opts?: RmOptions): FileAction {
  return new FileAction(rmSpec(path, opts));
}
export function symlink(oldpath: string, newpath: string, opts?: SymlinkOptions): FileAction {
  return new FileAction(symlinkSpec(oldpath, newpath, opts));
}
/** Copies `src` (relative paths resolve against `from`'s dir) to `dest` of the state the action is applied to. */
export function copy(from: State, src: string, dest: string, opts?: CopyOptions): FileAction {
  return new FileAction(copySpec(from, src, dest, opts));
}

function checkPath(what: string, p: unknown): string {
  if (typeof p !== 'string' || p === '') throw new StateError('invalid-option', `${what}: a path is required`);
  return p;
}

function checkMode(what: string, mode: unknown): number {
  if (!Number.isInteger(mode) || (mode as number) < 0) throw new StateError('invalid-option', `${what}: mode must be a number like 0o755`);
  return (mode as number) & 0o777;
}

function timestampOf(t: CreatedTime | undefined): bigint | number {
  if (t === undefined) return -1; // "keep": BuildKit's marker for no explicit time
  if (typeof t === 'bigint') return t;
  const ms = t.getTime();
  if (Number.isNaN(ms)) throw new StateError('invalid-option', 'createdTime is an invalid Date');
  return BigInt(ms) * 1_000_000n;
}

function parseUserPart(v: string | number): UserRef {
  if (typeof v === 'number') return { id: v };
  if (v === 'root') return { id: 0 };
  if (/^-?\d+$/.test(v)) {
    const n = Number(v);
    if (n >= -0x80000000 && n <= 0x7fffffff) return { id: n };
  }
  return { name: v };
}

export function parseChown(c: Chown | undefined): ChownSpec | undefined {
  if (c === undefined) return undefined;
  if (typeof c === 'number') return { user: { id: c } };
  if (typeof c === 'string') {
    const i = c.indexOf(':');
    const user = i === -1 ? c : c.slice(0, i);
    const group = i === -1 ? undefined : c.slice(i + 1);
    return { user: parseUserPart(user), ...(group !== undefined ? { group: parseUserPart(group) } : {}) };
  }
  return {
    ...(c.user !== undefined ? { user: parseUserPart(c.user) } : {}),
    ...(c.group !== undefined ? { group: parseUserPart(c.group) } : {}),
  };
}

function mkdirSpec(path: string, mode: number, opts?: MkdirOptions): ActionSpec {
  return {
    kind: 'mkdir',
    path: checkPath('mkdir', path),
    mode: checkMode('mkdir', mode),
    makeParents: opts?.makeParents ?? false,
    chown: parseChown(opts?.chown),
    timestamp: timestampOf(opts?.createdTime),
  };
}

function mkfileSpec(path: string, mode: number, data: string | Uint8Array, opts?: MkfileOptions): ActionSpec {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new StateError('invalid-option', 'mkfile: data must be a string or a Uint8Array');
  return {
    kind: 'mkfile',
    path: checkPath('mkfile', path),
    mode: checkMode('mkfile', mode),
    data: typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data),
    chown: parseChown(opts?.chown),
    timestamp: timestampOf(opts?.createdTime),
  };
}

function rmSpec(path: string, opts?: RmOptions): ActionSpec {
  return { kind: 'rm', path: checkPath('rm', path), allowNotFound: opts?.allowNotFound ?? false, allowWildcard: opts?.allowWildcard ?? false };
}

function symlinkSpec(oldpath: string, newpath: string, opts?: SymlinkOptions): ActionSpec {
  return {
    kind: 'symlink',
    oldpath: checkPath('symlink (oldpath)', oldpath),
    newpath: checkPath('symlink (newpath)', newpath),
    chown: parseChown(opts?.chown),
    timestamp: timestampOf(opts?.createdTime),
  };
}

function copySpec(from: State, src: string, dest: string, opts?: CopyOptions): ActionSpec {
  const props = propsOf(
    from,
    `copy(${String(from)}, ${JSON.stringify(src)}, ${JSON.stringify(dest)})`,
    'the source is not a State; pass one made by image(), local(), scratch(), run()…',
  );
  if (opts?.chmod !== undefined && typeof opts.chmod !== 'string') checkMode('copy chmod', opts.chmod);
  return {
    kind: 'copy',
    from: { output: props.output, dir: props.dir },
    src: checkPath('copy (src)', src),
    dest: checkPath('copy (dest)', dest),
    options: { ...opts },
    chown: parseChown(opts?.chown),
    timestamp: timestampOf(opts?.createdTime),
  };
}
