// The file node: a chain of file actions applied to one state, marshaled to a single pb.FileOp.
// Action i reads the base state (the first action) or the result of action i-1, which FileOp
// numbers `len(inputs) + (i-1)`; only the last action has an output (0). Paths are made
// absolute against the state's dir here, at marshal time, exactly as BuildKit's client does.
import { posix } from 'node:path';
import type { ActionSpec, ChownSpec, UserRef } from './file-action.ts';
import { opInputs, opMetadata, type MarshalContext, type MarshaledOp, type Node, type OpOptions, type Output } from './node.ts';
import { EMPTY_INPUT, SKIP_OUTPUT, type ChownOpt, type FileAction, type FileActionCopy, type UserOpt } from './pb/types.ts';

/** Makes `p` absolute against `parent`; with keepSlash a trailing `/` or `/.` survives (it means "into"). */
export function normalizePath(parent: string | undefined, p: string, keepSlash: boolean): string {
  let out = posix.normalize(p);
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  if (!posix.isAbsolute(out)) out = posix.join('/', parent ?? '', out);
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  if (keepSlash) {
    if (p.endsWith('/') && !out.endsWith('/')) out += '/';
    else if (p.endsWith('/.')) {
      if (out !== '/') out += '/';
      out += '.';
    }
  }
  return out;
}

function userOpt(u: UserRef | undefined, base: number): UserOpt | undefined {
  if (!u) return undefined;
  return 'name' in u ? { byName: { name: u.name, input: base } } : { byID: u.id >>> 0 };
}

function chownOpt(c: ChownSpec | undefined, base: number): ChownOpt | undefined {
  if (!c) return undefined;
  const out: { user?: UserOpt; group?: UserOpt } = {};
  const user = userOpt(c.user, base);
  const group = userOpt(c.group, base);
  if (user) out.user = user;
  if (group) out.group = group;
  return out;
}

export class FileNode implements Node {
  readonly #base: Output | undefined;
  readonly #dir: string | undefined;
  readonly #actions: readonly ActionSpec[];
  readonly #options: OpOptions | undefined;
  readonly inputs: readonly Output[];

  constructor(base: Output | undefined, dir: string | undefined, actions: readonly ActionSpec[], options?: OpOptions) {
    this.#base = base;
    this.#dir = dir;
    this.#actions = actions;
    this.#options = options;
    const seen = new Set<Output>();
    const add = (o: Output | undefined) => (o && !seen.has(o) && seen.add(o) ? [o] : []);
    this.inputs = [...add(base), ...actions.flatMap((a) => (a.kind === 'copy' ? add(a.from.output) : []))];
  }

  marshal(ctx: MarshalContext): MarshaledOp {
    const { inputs, indexOf: inputIndex } = opInputs(ctx);
    const caps = new Set<string>(['file.base']);
    // First pass collects inputs in action order; relative indexes need the final count.
    const resolved = this.#actions.map((a) => ({ a, base: inputIndex(this.#base), secondary: a.kind === 'copy' ? inputIndex(a.from.output) : EMPTY_INPUT }));
    const n = inputs.length;
    const actions: FileAction[] = resolved.map(({ a, base, secondary }, i) => {
      const fa: { -readonly [K in keyof FileAction]: FileAction[K] } = {
        input: i === 0 ? base : n + i - 1,
        secondaryInput: secondary,
        output: i === resolved.length - 1 ? 0 : SKIP_OUTPUT,
      };
      const owner = 'chown' in a ? chownOpt(a.chown, base) : undefined;
      const withOwner = <T extends object>(x: T): T => (owner ? { ...x, owner } : x);
      switch (a.kind) {
        case 'mkdir':
          fa.mkdir = withOwner({
            path: normalizePath(this.#dir, a.path, false),
            mode: a.mode,
            ...(a.makeParents ? { makeParents: true } : {}),
            timestamp: a.timestamp,
          });
          break;
        case 'mkfile':
          fa.mkfile = withOwner({ path: normalizePath(this.#dir, a.path, false), mode: a.mode, data: a.data, timestamp: a.timestamp });
          break;
        case 'rm':
          fa.rm = { path: normalizePath(this.#dir, a.path, false), allowNotFound: a.allowNotFound, allowWildcard: a.allowWildcard };
          if (a.allowWildcard) caps.add('file.rm.wildcard');
          break;
        case 'symlink':
          fa.symlink = withOwner({ oldpath: a.oldpath, newpath: a.newpath, timestamp: a.timestamp });
          caps.add('file.symlink.create');
          break;
        case 'copy': {
          const o = a.options;
          const srcClean = posix.normalize(a.src).replace(/(.)\/$/, '$1');
          const c: { -readonly [K in keyof FileActionCopy]: FileActionCopy[K] } = {
            src: posix.isAbsolute(srcClean) ? srcClean : posix.join(a.from.dir ?? '/', srcClean),
            dest: normalizePath(this.#dir, a.dest, true),
            mode: -1,
            followSymlink: o.followSymlinks ?? false,
            dirCopyContents: o.copyDirContents ?? false,
            attemptUnpackDockerCompatibility: o.attemptUnpack ?? false,
            createDestPath: o.createDestPath ?? false,
            allowWildcard: o.allowWildcard ?? false,
            allowEmptyWildcard: o.allowEmptyWildcard ?? false,
            timestamp: a.timestamp,
            alwaysReplaceExistingDestPaths: o.alwaysReplaceExistingDestPaths ?? false,
          };
          if (owner) c.owner = owner;
          if (typeof o.chmod === 'string') {
            c.modeStr = o.chmod;
            c.mode = 0;
            caps.add('file.copy.modestring');
          } else if (o.chmod !== undefined) c.mode = o.chmod;
          if (o.include?.length) c.includePatterns = [...o.include];
          if (o.exclude?.length) c.excludePatterns = [...o.exclude];
          if (o.include?.length || o.exclude?.length) caps.add('file.copy.includeexcludepatterns');
          if (o.requiredPaths?.length) {
            c.requiredPaths = [...o.requiredPaths];
            caps.add('file.copy.requiredpaths');
          }
          if (o.alwaysReplaceExistingDestPaths) caps.add('file.copy.alwaysreplaceexistingdestpaths');
          fa.copy = c;
          break;
        }
      }
      return fa;
    });
    return { op: { inputs, file: { actions }, constraints: {} }, metadata: opMetadata(this.#options, [...caps]) };
  }
}
