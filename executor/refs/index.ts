// Results of ops: immutable refs over snapshots (possibly not yet materialised) and their layers.
export { Ref, RefManager, asRef, isRef } from './refs.ts';
export type { RefManagerOptions, PullProgressSink } from './refs.ts';
export { layerIdentity } from './layer-identity.ts';
export { RefStore, newRefId, isRefId } from './ref-store.ts';
export { chainIDs, imageSnapshotKeys, mergeSnapshotKey, diffSnapshotKey, diffIDKey, layerSnapshotKey, EMPTY_SNAPSHOT_KEY } from './snapshot-keys.ts';
export { REF_RECORD_VERSION } from './types.ts';
export type { BlobLayer, LayerEntry, LocalSource, RefRecord, RefSource } from './types.ts';
