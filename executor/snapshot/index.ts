export type { LayerRef, Mount, ReadableDir, SnapshotInfo, SnapshotKind, Snapshotter, SnapshotterName, Usage } from './types.ts';
export { SnapshotError } from './types.ts';
export { SnapshotTree, type SnapshotTreeOptions } from './snapshot-tree.ts';
export { openSnapshotter, overlayUnavailable, type OpenSnapshotterOptions } from './open.ts';
