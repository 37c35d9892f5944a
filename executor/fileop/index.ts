// File actions (mkdir, mkfile, rm, symlink, copy) of LLB FileOps, performed on real directories
// with every path confined to its tree.
//
// Wire defaults matter: LLB's `mode` and `timestamp` use -1 for "keep"; a field left unset decodes
// as 0 (mode 0, the epoch), exactly as BuildKit reads it. Builders set -1 explicitly.
export { applyFileActions, planFileActions, actionKind } from './apply-file-actions.ts';
export type { ApplyFileActionsOptions, FileOpInput, FileOpPlan } from './apply-file-actions.ts';
export { selectCopySources, cleanCopyPath } from './copy-sources.ts';
export type { CopySource } from './copy-sources.ts';
export { resolveInRoot, pathInRoot } from '../rootpath/index.ts';
export type { ResolveOptions } from '../rootpath/index.ts';
export { resolveOwner } from './owner.ts';
export { setOwner } from './file-meta.ts';
export type { Owner } from './owner.ts';
export { parseModeString } from './symbolic-mode.ts';
export type { ModeChange } from './symbolic-mode.ts';
export { FileOpError } from './errors.ts';
export type { FileOpErrorCode, FileActionKind } from './errors.ts';
export type { TargetMeta } from './copy-tree.ts';
