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
import { mkdir, realpath, rm } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import { canonicalJSON, type Digest, type FileActionCopy, type FileActionMessage, type FileOp, type UserOpt } from '../../llb/index.ts';
import type { CacheMap, CacheMapDep, Op, OpContext, Result, Vertex } from '../../solver/index.ts';
import { ChecksumPathError, forgetContext, statKey, type ChecksumOptions } from '../contenthash/index.ts';
import { applyFileActions, cleanCopyPath, pathInRoot, planFileActions, type FileOpInput, type TargetMeta } from '../fileop/index.ts';
import { asRef, type PullProgressSink, type Ref } from '../refs/index.ts';
import { tempDir, uniqueKey, type OpsContext } from './context.ts';
import { digestOfText, opDigest } from './cache-digest.ts';
import { SourceError } from './errors.ts';
import { linkFromPrevious, metaKey, readCopyMemo, writeCopyMemo, type CopyMemo, type MemoFile } from './copy-reuse.ts';
import { LayerOnlyCopy, previousLayer, type PreviousLayer } from './copy-layer.ts';

/** Bump when the digest a COPY source's content gets changes for the same files: remembered digests then no longer match. */
const CONTENT_DIGEST_VERSION = 1;

export const FILE_KEY = 'tsbuild.file.v1';

/** A build context is hashed in slices this long: other steps start between them. */
const HASH_SLICE_MS = 5;

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
  /**
   * What each local input's content key covered, by ref id: every regular file's path inside the
   * input with the stat it was hashed with and its entry digest. A file copied with another stat
   * is hashed again: a different digest fails the copy (it changed after its key was taken). The
   * stat, not the time, is compared: a link farm linking a context file changes its ctime, and
   * file times come from a clock coarser than any timestamp taken here.
   */
  readonly #hashed = new Map<string, { dir: string; real: string; files: Map<string, HashedFile> }>();

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
    const selector = canonicalJSON(parts);
    if (isBase) return { selector };
    return {
      selector,
      contentDigest: (input: Result, ctx: OpContext): Promise<Digest> => {
        const ref = asRef(input);
        // The selection names what is hashed and how (the hashing rules' version included).
        const selection = digestOfText(canonicalJSON([CONTENT_DIGEST_VERSION, selector])).slice('sha256:'.length);
        return this.#ctx.refs.contentDigest(ref, selection, async () => {
          const dir = await this.#ctx.refs.readable(ref, this.#progress(ctx));
          try {
            const files = new Map<string, HashedFile>();
            let onFile: ChecksumOptions['onFile'];
            if (ref.local) {
              const real = await realpath(dir.path);
              this.#hashed.set(ref.id, { dir: dir.path, real, files });
              onFile = (host, st, digest) => {
                files.set(real === '/' ? host : host.slice(real.length), { st, digest });
              };
            }
            const digests: string[] = [];
            const sum = async (opts: ChecksumOptions) => {
              try {
                return await this.#ctx.hasher.checksum(dir.path, { ...opts, ...(onFile ? { onFile, watch: true, sliceMs: HASH_SLICE_MS } : {}) });
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
            return digestOfText(canonicalJSON(digests));
          } finally {
            await dir.release();
          }
        });
      },
    };
  }

  /** Whether something this build runs or exports reads this step's result as files. */
  #readAsFiles(): boolean {
    return this.#ctx.targetsReadAsFiles || this.#ctx.readAsFiles.has(this.#vertex.digest);
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
      const reuse = await this.#reusePlan(active, refsIn, !this.#readAsFiles());
      const layer = reuse?.layerOnly ? new LayerOnlyCopy(reuse.dir, reuse.previousLayer) : undefined;
      const direct = reuse ? undefined : await this.#directDir(active);
      if (direct === 'unchanged') {
        committed = await snap.commit(active);
        return [await refs.child(base, committed, this.#vertex.name)];
      }
      const workDir = reuse?.dir ?? direct?.dir ?? (await snap.activeDir(active));
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
        // With reuse, #place checks the copied context's files.
        onSourceFile: (input, path, st) => {
          if (input === reuse?.input) return;
          const checked = this.#checkUnchanged(refsIn[input]!, path, st);
          if (checked instanceof Promise) return checked.then(() => {});
        },
        ...(reuse
          ? {
              placeFile: (input, path, st, target, meta) =>
                layer
                  ? input === reuse.input && this.#placeInLayer(layer, refsIn[input]!, join(dirs[input]!.dir, path), path, st, target, meta)
                  : this.#place(reuse, refsIn[input]!, input, path, st, target, meta),
            }
          : {}),
        // A layer-only copy writes each file it reads from the stat the content key hashed
        // it with, checked when the layer reads it: the copy need not stat the context again.
        ...(layer
          ? {
              knownStat: (input: number, path: string) => {
                const st = input === reuse!.input ? this.#hashed.get(refsIn[input]!.id)?.files.get(path)?.st : undefined;
                // A file with several links is copied, not placed: it gets a stat of its own.
                return st?.nlink === 1n ? st : undefined;
              },
            }
          : {}),
        signal: ctx.signal,
      });
      // The snapshot held only the copy's directories: the finally below drops it.
      if (layer) {
        const readFile = (path: string, size: number) => this.#ctx.hasher.readSmall(path, size);
        const blob = await layer.write(this.#ctx.content, { root: this.#ctx.root, key: reuse!.key }, readFile).catch((e: unknown) => {
          // A file not as hashed: what a watched context remembered is stale; walk it next time.
          const hashed = this.#hashed.get(refsIn[reuse!.input]!.id);
          if (hashed) forgetContext(hashed.real);
          throw e;
        });
        const { files, reused } = layer.counts;
        if (reused > 0) ctx.status({ id: `${reused} of ${files} files taken from the previous layer`, current: 0, completed: Date.now() });
        return [await refs.layerOn(base, blob, this.#vertex.name)];
      }
      committed = await snap.commit(active);
      if (reuse) writeCopyMemo(this.#ctx.root, reuse.key, { v: 2, snapshot: committed, files: Object.fromEntries(reuse.next) });
    } finally {
      for (const r of releases) await r().catch(() => {});
      await rm(scratch, { recursive: true, force: true });
      if (committed === undefined) await snap.remove(active).catch(() => {});
    }
    return [await refs.child(base, committed!, this.#vertex.name)];
  }

  /**
   * A lone mkdir, mkfile or symlink (WORKDIR, a generated file) writes one new path: the bare
   * upper directory serves, without mounting the overlay. `unchanged`: a mkdir of a directory
   * the base already has, which leaves it untouched (BuildKit's rule), so there is nothing to do.
   */
  async #directDir(active: string): Promise<{ dir: string } | 'unchanged' | undefined> {
    const snap = this.#ctx.snapshotter;
    const actions = this.#actions();
    const a = actions[0];
    if (actions.length !== 1 || !a || !snap.newSubtreeDir || !snap.hasLowerDirectory) return undefined;
    const made = a.mkdir ?? a.mkfile;
    const path = made?.path ?? a.symlink?.newpath;
    const owner = made?.owner ?? a.symlink?.owner;
    // Names are looked up in the destination tree, which a bare upper directory does not hold.
    if (path === undefined || owner?.user?.byName || owner?.group?.byName) return undefined;
    const rel = posix.normalize(posix.join('/', path)).replace(/^\/+|\/+$/g, '');
    if (!a.mkdir?.makeParents) {
      if (a.mkdir && (await snap.hasLowerDirectory(active, rel))) return 'unchanged';
      return inPlace(await snap.newSubtreeDir(active, rel));
    }
    // mkdir -p: the new subtree starts at the first directory the base lacks.
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (!(await snap.hasLowerDirectory(active, prefix))) return inPlace(await snap.newSubtreeDir(active, prefix));
    }
    return 'unchanged';
  }

  /**
   * Fails when a context file about to be copied is not what the op's content key covered.
   * Returns the file's entry digest as the key covered it (undefined when the key did not
   * cover this path, e.g. a copy of something no checksum selected).
   */
  #checkUnchanged(ref: Ref, path: string, st: BigIntStats): string | undefined | Promise<string | undefined> {
    if (!ref.local) return undefined;
    const hashed = this.#hashed.get(ref.id);
    const was = hashed?.files.get(path);
    if (hashed === undefined || was === undefined) return undefined;
    if (was.st === st || statKey(was.st) === statKey(st)) return was.digest;
    return this.#recheck(ref.local.name, hashed.dir, path, was);
  }

  /** A file with another stat than when hashed: a write, or only a new link count or times. The bytes decide. */
  async #recheck(context: string, dir: string, path: string, was: HashedFile): Promise<string> {
    let now: string | undefined;
    try {
      now = await this.#ctx.hasher.checksum(dir, { path });
    } catch {
      now = undefined;
    }
    if (now === was.digest) return was.digest;
    throw new SourceError(`${path} in the build context "${context}" changed while it was being copied (after its checksum was taken); build again`);
  }

  /**
   * When this op is one COPY from a build context into a top-level directory the base does not
   * have, the new snapshot's directory to write in place and the previous result to link from
   * (copy-reuse.ts). Undefined: copy through the snapshot's usual directory.
   */
  async #reusePlan(active: string, refsIn: readonly Ref[], layerOnly: boolean): Promise<ReusePlan | undefined> {
    const snap = this.#ctx.snapshotter;
    const actions = this.#actions();
    const a = actions[0];
    const c = a?.copy;
    if (actions.length !== 1 || !a || !c || !snap.newSubtreeDir || !snap.ownLayerDir) return undefined;
    const from = a.secondaryInput ?? 0;
    if (from < 0 || from >= refsIn.length || !refsIn[from]!.local || !this.#hashed.has(refsIn[from]!.id)) return undefined;
    // Names are looked up in the destination tree, which a bare upper directory does not hold.
    if (c.owner?.user?.byName || c.owner?.group?.byName || c.attemptUnpackDockerCompatibility) return undefined;
    // The destination directory itself: `COPY src/ ./src/` under `WORKDIR /app` writes `app/src`.
    const dest = posix.normalize(cleanCopyPath(c.dest ?? '')).replace(/^\/+|\/+$/g, '');
    const dir = await snap.newSubtreeDir(active, dest);
    if (dir === undefined) return undefined;
    const key = (await this.cacheMap()).digest;
    if (layerOnly) {
      const previous = await previousLayer(this.#ctx.root, key, this.#ctx.content);
      return { dir, key, input: from, next: new Map(), layerOnly, ...(previous ? { previousLayer: previous } : {}) };
    }
    const memo = await readCopyMemo(this.#ctx.root, key);
    const prevDir = memo ? await snap.ownLayerDir(memo.snapshot) : undefined;
    return { dir, key, input: from, ...(memo && prevDir ? { prev: { memo, dir: prevDir } } : {}), next: new Map() };
  }

  /** Synchronous unless the file must be hashed again: it runs for every file of the context. */
  #place(plan: ReusePlan, ref: Ref, input: number, path: string, st: BigIntStats, target: string, meta: TargetMeta): boolean | Promise<boolean> {
    if (input !== plan.input) return false;
    const digest = this.#checkUnchanged(ref, path, st);
    if (digest instanceof Promise) return digest.then((d) => d !== undefined && this.#placeVerified(plan, d, st, target, meta));
    return digest !== undefined && this.#placeVerified(plan, digest, st, target, meta);
  }

  /** The file goes into the layer as it is now, once checked against the content key. */
  #placeInLayer(layer: LayerOnlyCopy, ref: Ref, source: string, path: string, st: BigIntStats, target: string, meta: TargetMeta): boolean | Promise<boolean> {
    const checked = this.#checkUnchanged(ref, path, st);
    if (checked instanceof Promise) return checked.then((digest) => layer.place(source, st, target, meta, digest));
    return layer.place(source, st, target, meta, checked);
  }

  #placeVerified(plan: ReusePlan, digest: string, st: BigIntStats, target: string, meta: TargetMeta): boolean {
    const rel = pathInRoot(plan.dir, target);
    plan.next.set(rel, [digest, String(st.mtimeNs), metaKey(meta)]);
    if (!plan.prev) return false;
    return linkFromPrevious(plan.prev.memo, plan.prev.dir, { rel, target, st, meta, digest });
  }
}

interface HashedFile {
  /** The file's stat when it was hashed (compared by contenthash's statKey, only for files copied). */
  st: BigIntStats;
  digest: string;
}

interface ReusePlan {
  /** The active snapshot's upper directory, written in place. */
  dir: string;
  /** The memo's key: this op's cache-map digest. */
  key: string;
  /** The context input the copy reads. */
  input: number;
  prev?: { memo: CopyMemo; dir: string };
  /** The memo of this result. */
  next: Map<string, MemoFile>;
  /** Nothing in this build mounts the result: write its layer, not its files (copy-layer.ts). */
  layerOnly?: boolean;
  /** With layerOnly: the previous layer of the same COPY, whose unchanged entries are reused. */
  previousLayer?: PreviousLayer;
}

function inPlace(dir: string | undefined): { dir: string } | undefined {
  return dir === undefined ? undefined : { dir };
}
