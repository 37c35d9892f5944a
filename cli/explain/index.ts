// Cache-miss explanations (`--explain`): each build leaves a record of its vertices, keys and
// context manifests; the next build of the same target compares against it and says, for every
// step that ran, why it was not cached.
export { recordBuild, localSpec, BUILD_RECORD_VERSION } from './record.ts';
export type { BuildRecord, VertexRecord, InputRecord, LocalRecord, ManifestSource, RecordBuildInput } from './record.ts';
export { explain, matchVertices } from './explain.ts';
export type { ExplainOptions } from './explain.ts';
export { diffOps, diffEnv } from './op-diff.ts';
export { readsOf, isRead } from './reads.ts';
export type { Selection } from './reads.ts';
export { loadRecord, saveRecord, recordPath, targetIdentity } from './store.ts';
export type { TargetIdentity } from './store.ts';
export { formatExplanations } from './format.ts';
export type { FormatOptions } from './format.ts';
