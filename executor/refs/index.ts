// Results of ops: immutable refs over snapshots (possibly not yet materialised) and their layers.
export { Ref, RefManager, isRef, layerIdentity, removeTree } from './refs.ts';
export type { RefManagerOptions, PullProgressSink } from './refs.ts';
export { RefStore, newRefId, isRefId } from './ref-store.ts';
export { REF_RECORD_VERSION } from './types.ts';
export type { BlobLayer, LayerEntry, LocalSource, RefRecord, RefSource } from './types.ts';
