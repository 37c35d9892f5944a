// Runs a FileOp's action chain on real directories.
//
// Indexes (LLB): an action's `input` (the tree it changes) and `secondaryInput` (a copy's source)
// are -1 for scratch, 0…n-1 for the op's inputs, n+k for the result of action k. The op's output
// is the action with `output: 0`; following `input` back from it gives the chain that is applied
// in place, in one writable directory that the caller prepares with the chain's base:
//
//   inputs:  [0] image   [1] context
//   actions: 0 mkdir  input 0          ─┐ chain, applied in workDir
//            1 copy   input 2, src 1    │ (workDir starts as a copy of input 0)
//            2 rm     input 3, output 0 ─┘
//
// Anything else an action reads — a copy source or a user database that is the result of an
// action not at the current end of the chain — is built on its own in a scratch directory
// (its own base copied in, then its actions replayed), so every shape of graph gives the tree
// BuildKit would, at the cost of a copy only for uncommon shapes.
import type { BigIntStats } from 'node:fs';
import { AsyncMemo, type FileActionMessage as FileAction } from '../../llb/index.ts';
import { FileOpError, fromFsError, type FileActionKind } from './errors.ts';
import { resolveOwner, type Owner } from './owner.ts';
import { mkdirAction } from './mkdir-action.ts';
import { mkfileAction } from './mkfile-action.ts';
import { rmAction } from './rm-action.ts';
import { symlinkAction } from './symlink-action.ts';
import { copyAction } from './copy-action.ts';
import { TreeCopier, type TargetMeta } from './copy-tree.ts';

export interface FileOpInput {
  /** Readable directory holding the input's tree. */
  dir: string;
  /**
   * Owner that paths copied out of this tree get when the copy has no chown. Set it for a local
   * context (docker's client sends context files as 0:0); leave it unset to keep each file's owner.
   */
  owner?: Owner;
}

export interface ApplyFileActionsOptions {
  actions: readonly FileAction[];
  /** One per op input, in order: a directory, or a directory with options. Read only. */
  inputs: readonly (string | FileOpInput)[];
  /** Writable directory holding the chain's base (see planFileActions); receives the result. */
  workDir: string;
  /** A new empty writable directory for trees built on the side; the caller removes them. */
  scratchDir: () => Promise<string>;
  /**
   * Called with each regular file a copy reads from an op input (path inside that input), just
   * before reading it: lets the caller refuse a file that changed since it was hashed.
   */
  onSourceFile?: (input: number, path: string, st: BigIntStats) => void | Promise<void>;
  /**
   * Called after onSourceFile with the host path a regular file is about to be copied to and the
   * metadata it would get; returning true means the caller placed an identical file there (a
   * hard link to an immutable earlier copy), whose metadata the copy then leaves alone.
   */
  placeFile?: (input: number, path: string, st: BigIntStats, target: string, meta: TargetMeta) => boolean | Promise<boolean>;
  /**
   * The stat a regular file of an op input (path inside that input) was hashed with, when the
   * caller has it: a copy then does not stat it again. Whoever reads the file checks it then.
   */
  knownStat?: (input: number, path: string) => BigIntStats | undefined;
  signal?: AbortSignal;
}

export interface FileOpPlan {
  /** Index of the action whose result is output 0. */
  output: number;
  /** What workDir must hold before the chain runs: -1 nothing (scratch), else that op input's tree. */
  base: number;
  /** Indexes of the actions applied in workDir, in order. */
  chain: number[];
}

export function actionKind(action: FileAction): FileActionKind {
  if (action.copy) return 'copy';
  if (action.mkfile) return 'mkfile';
  if (action.mkdir) return 'mkdir';
  if (action.rm) return 'rm';
  if (action.symlink) return 'symlink';
  throw new FileOpError('invalid', 'file action has no action (copy, mkfile, mkdir, rm or symlink)');
}

/** Checks the indexes of a FileOp's actions and finds its output chain. */
export function planFileActions(actions: readonly FileAction[], inputCount: number): FileOpPlan {
  const limit = inputCount + actions.length;
  let output: number | undefined;
  actions.forEach((a, i) => {
    if (!a.copy && !a.mkfile && !a.mkdir && !a.rm && !a.symlink) {
      throw new FileOpError('invalid', `file action ${i} has no action (copy, mkfile, mkdir, rm or symlink)`);
    }
    for (const [field, idx] of [
      ['input', a.input ?? 0],
      ['secondaryInput', a.secondaryInput ?? 0],
    ] as const) {
      if (!Number.isInteger(idx) || idx < -1 || idx >= limit) {
        throw new FileOpError('invalid', `file action ${i}: ${field} ${idx} is out of range (-1 to ${limit - 1})`);
      }
      if (idx >= inputCount && idx - inputCount >= i) {
        throw new FileOpError('invalid', `file action ${i}: ${field} ${idx} refers to action ${idx - inputCount}, which does not come before it`);
      }
    }
    const out = a.output ?? 0;
    if (out === -1) return;
    if (out !== 0) throw new FileOpError('unsupported', `file action ${i}: output ${out}: only one output (0) is supported`);
    if (output !== undefined) throw new FileOpError('invalid', `file actions ${output} and ${i} both declare output 0; the others must have output -1`);
    output = i;
  });
  if (output === undefined) throw new FileOpError('invalid', 'no file action declares output 0');
  const chain: number[] = [];
  let idx = inputCount + output;
  while (idx >= inputCount) {
    const k = idx - inputCount;
    chain.unshift(k);
    idx = actions[k]!.input ?? 0;
  }
  return { output, base: idx, chain };
}

/**
 * Applies the output chain of `actions` in `workDir`. Throws FileOpError (with actionIndex and
 * kind set) for user errors: missing sources, wildcards without matches, unknown users…
 */
export async function applyFileActions(options: ApplyFileActionsOptions): Promise<void> {
  const { actions, workDir, scratchDir, signal } = options;
  const inputs: FileOpInput[] = options.inputs.map((i) => (typeof i === 'string' ? { dir: i } : i));
  const n = inputs.length;
  const plan = planFileActions(actions, n);
  const roots = new Set<string>([workDir, ...inputs.map((i) => i.dir)]);

  // By index: -1 the empty tree, n + k the result of action k.
  const sideTrees = new AsyncMemo<number, string>();

  /** A readable tree for an index, built on the side when it is an action's result. */
  const treeFor = (idx: number): Promise<string> => {
    if (idx === -1) return sideTrees.get(-1, () => scratchDir().then((d) => (roots.add(d), d)));
    if (idx < n) return Promise.resolve(inputs[idx]!.dir);
    return sideTrees.get(idx, () => buildSideTree(idx - n));
  };

  const buildSideTree = async (k: number): Promise<string> => {
    const dir = await scratchDir();
    roots.add(dir);
    const base = actions[k]!.input ?? 0;
    if (base !== -1) {
      const from = await treeFor(base);
      await new TreeCopier({ srcRoot: from, dstRoot: dir }).copy(from, dir);
    }
    await run(k, dir);
    return dir;
  };

  const run = async (k: number, root: string): Promise<void> => {
    const action = actions[k]!;
    const kind = actionKind(action);
    const dest = action.input ?? 0;
    // Users are named by the tree the action changes: that is `root` as it is now.
    const userTree = (input: number | undefined): Promise<string> => {
      const i = input ?? 0;
      return i < 0 || i === dest ? Promise.resolve(root) : treeFor(i);
    };
    try {
      switch (kind) {
        case 'mkdir': {
          const a = action.mkdir!;
          await mkdirAction(root, a, await resolveOwner(a.owner, userTree));
          break;
        }
        case 'mkfile': {
          const a = action.mkfile!;
          await mkfileAction(root, a, await resolveOwner(a.owner, userTree));
          break;
        }
        case 'symlink': {
          const a = action.symlink!;
          await symlinkAction(root, a, await resolveOwner(a.owner, userTree));
          break;
        }
        case 'rm':
          await rmAction(root, action.rm!);
          break;
        case 'copy': {
          const a = action.copy!;
          const src = action.secondaryInput ?? 0;
          const fromInput = src >= 0 && src < n;
          const onSourceFile = options.onSourceFile;
          const placeFile = options.placeFile;
          const knownStat = options.knownStat;
          await copyAction(a, {
            srcRoot: await treeFor(src),
            dstRoot: root,
            owner: await resolveOwner(a.owner, userTree),
            sourceOwner: fromInput ? inputs[src]!.owner : undefined,
            onSourceFile: fromInput && onSourceFile ? (p, st) => onSourceFile(src, p, st) : undefined,
            placeFile: fromInput && placeFile ? (p, st, target, meta) => placeFile(src, p, st, target, meta) : undefined,
            knownStat: fromInput && knownStat ? (p) => knownStat(src, p) : undefined,
          });
          break;
        }
      }
    } catch (err) {
      const e = fromFsError(err, kind, [...roots]);
      e.actionIndex ??= k;
      e.kind ??= kind;
      throw e;
    }
  };

  for (const k of plan.chain) {
    signal?.throwIfAborted();
    await run(k, workDir);
  }
}
