// File ops (COPY, mkdir, mkfile, rm, symlink): the action chain runs in Node on a writable
// snapshot of the base input; secondary inputs are read in place (a local context is never
// copied first).
//
// Cache key, as BuildKit's: the actions as versioned JSON with each copy's `src` reduced to its
// base name; the real source paths (with wildcard, follow-symlink, include/exclude and required
// paths) are the selector of the input they read, and its content digest is computed over exactly
// those paths. So a context file no COPY selects never changes a key, and a step keyed on what it
// read hits again after an unrelated upstream change. Inputs that are the base of the chain (the
// tree being changed) are keyed by their result, not their content. Chown by name also selects
// /etc/passwd and /etc/group of the input that names the user.
import { mkdir, rm } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { posix } from 'node:path';
import type { Digest, FileActionCopy, FileActionMessage, FileOp, UserOpt } from '../../llb/index.ts';
import type { CacheMap, CacheMapDep, Op, OpContext, Result, Vertex } from '../../solver/index.ts';
import { ChecksumPathError } from '../contenthash/index.ts';
import { applyFileActions, cleanCopyPath, planFileActions, type FileOpInput } from '../fileop/index.ts';
import type { PullProgressSink, Ref } from '../refs/index.ts';
import { tempDir, uniqueKey, type OpsContext } from './context.ts';
import { digestOfText, opDigest, stableJSON } from './cache-digest.ts';
import { SourceError } from './errors.ts';

export const FILE_KEY = 'tsbuild.file.v0';

type FileAction = FileActionMessage;

/** The actions as they enter the cache digest: copy sources reduced to their base names. */
export function fileKeyPayload(actions: readonly FileAction[], inputCount: number): unknown {
  return actions.map((a) => {
    // A copy from scratch or from an earlier action has no input selector: its full src stays.
    const from = a.secondaryInput ?? 0;
    if (!a.copy || from < 0 || from >= inputCount) return a;
    const src = cleanCopyPath(a.copy.src ?? '');
    const { src: _s, includePatterns: _i, excludePatterns: _e, requiredPaths: _r, ...rest } = a.copy;
    return { ...a, copy: { ...rest, src: posix.basename(src.replace(/\/\.?$/, '')) || '/' } };
  });
}

interface CopySelection {
  path: string;
  wildcard: boolean;
  followLinks: boolean;
  include: readonly string[];
  exclude: readonly string[];
  required: readonly string[];
}

function copySelection(c: FileActionCopy): CopySelection {
  return {
    path: cleanCopyPath(c.src ?? ''),
    wildcard: c.allowWildcard ?? false,
    followLinks: c.followSymlink ?? false,
    include: c.includePatterns ?? [],
    exclude: c.excludePatterns ?? [],
    required: c.requiredPaths ?? [],
  };
}

function namedInputs(u: UserOpt | undefined): number | undefined {
  return u?.byName ? (u.byName.input ?? 0) : undefined;
}

export class FileOpImpl implements Op {
  readonly #ctx: OpsContext;
  readonly #vertex: Vertex;
  readonly #op: FileOp;
  /** When each local input was hashed (ns): a source file changed after that fails the copy. */
  readonly #hashedAt = new Map<string, bigint>();

  constructor(ctx: OpsContext, vertex: Vertex) {
    this.#ctx = ctx;
    this.#vertex = vertex;
    this.#op = vertex.op.file!;
  }

  #actions(): FileAction[] {
    return this.#op.actions ?? [];
  }

  async cacheMap(): Promise<CacheMap> {
    const actions = this.#actions();
    planFileActions(actions, this.#vertex.inputs.length);
    return {
      digest: opDigest(FILE_KEY, { actions: fileKeyPayload(actions, this.#vertex.inputs.length) }),
      deps: this.#vertex.inputs.map((_, i) => this.#dep(i)),
    };
  }

  #dep(i: number): CacheMapDep {
    const actions = this.#actions();
    const isBase = actions.some((a) => (a.input ?? 0) === i);
    const copies = actions.filter((a) => a.copy && (a.secondaryInput ?? 0) === i).map((a) => copySelection(a.copy!));
    const owners = actions.flatMap((a) => {
      const o = a.copy?.owner ?? a.mkdir?.owner ?? a.mkfile?.owner ?? a.symlink?.owner;
      return [namedInputs(o?.user), namedInputs(o?.group)];
    });
    const users = owners.includes(i);
    const parts: unknown[] = [...copies];
    if (users) parts.push('/etc/passwd', '/etc/group');
    if (parts.length === 0) return {};
    const selector = stableJSON(parts);
    if (isBase) return { selector };
    return {
      selector,
      contentDigest: async (input: Result, ctx: OpContext): Promise<Digest> => {
        const ref = input as Ref;
        this.#hashedAt.set(ref.id, BigInt(Date.now()) * 1_000_000n);
        const dir = await this.#ctx.refs.readable(ref, this.#progress(ctx));
        try {
          const digests: string[] = [];
          const sum = async (opts: Parameters<OpsContext['hasher']['checksum']>[1]) => {
            try {
              return await this.#ctx.hasher.checksum(dir.path, opts);
            } catch (e) {
              // The copy itself reports a missing source clearly; the key only has to differ.
              if (e instanceof ChecksumPathError) return `missing:${opts?.path ?? ''}`;
              throw e;
            }
          };
          for (const c of copies) {
            digests.push(await sum({ path: c.path, wildcard: c.wildcard, followLinks: c.followLinks, include: c.include, exclude: c.exclude }));
            for (const r of c.required) digests.push(await sum({ path: posix.join('/', r) }));
          }
          if (users) for (const f of ['/etc/passwd', '/etc/group']) digests.push(await sum({ path: f }));
          return digestOfText(stableJSON(digests));
        } finally {
          await dir.release();
        }
      },
    };
  }

  #progress(ctx: OpContext): PullProgressSink {
    return (p) => ctx.status({ id: p.id, current: p.current, total: p.total, ...(p.done ? { completed: Date.now() } : {}) });
  }

  async exec(ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
    const { snapshotter: snap, refs } = this.#ctx;
    const actions = this.#actions();
    const refsIn = inputs as readonly Ref[];
    const plan = planFileActions(actions, refsIn.length);
    const base = plan.base >= 0 ? refsIn[plan.base] : undefined;
    const progress = this.#progress(ctx);
    const active = uniqueKey('file');
    await snap.prepare(active, await refs.parentKey(base, progress));
    const releases: (() => Promise<void>)[] = [];
    const scratch = await tempDir(this.#ctx.root, 'fileop');
    let committed: string | undefined;
    try {
      const workDir = await snap.activeDir(active);
      const dirs: FileOpInput[] = [];
      for (const r of refsIn) {
        const d = await refs.readable(r, progress);
        releases.push(() => d.release());
        // A context's files are copied as owned by root, as docker's client sends them.
        dirs.push(r.local ? { dir: d.path, owner: { uid: 0, gid: 0 } } : { dir: d.path });
      }
      let sideTrees = 0;
      await applyFileActions({
        actions,
        inputs: dirs,
        workDir,
        scratchDir: async () => {
          const d = posix.join(scratch, String(sideTrees++));
          await mkdir(d);
          return d;
        },
        onSourceFile: (input, path, st) => this.#checkUnchanged(refsIn[input]!, path, st),
        signal: ctx.signal,
      });
      committed = await snap.commit(active);
    } finally {
      for (const r of releases) await r().catch(() => {});
      await rm(scratch, { recursive: true, force: true });
      if (committed === undefined) await snap.remove(active).catch(() => {});
    }
    return [await refs.child(base, committed!, this.#vertex.name)];
  }

  #checkUnchanged(ref: Ref, path: string, st: BigIntStats): void {
    if (!ref.local) return;
    const at = this.#hashedAt.get(ref.id);
    if (at === undefined) return;
    if (st.mtimeNs > at || st.ctimeNs > at) {
      throw new SourceError(
        `${path} in the build context "${ref.local.name}" changed while it was being copied (after its checksum was taken); build again`,
      );
    }
  }
}
