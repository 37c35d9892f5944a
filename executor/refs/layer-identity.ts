import type { LayerEntry } from './types.ts';

/** The identity of a layer: equal identities export the same bytes. */
export function layerIdentity(e: LayerEntry): string {
  if (e.blob) return `blob:${e.blob.descriptor.digest}`;
  const l = e.snapshot;
  if (!l) throw new Error('layer entry has neither a blob nor a snapshot layer');
  return `snap:${l.id}:${l.base ?? ''}:${l.tar ? 1 : 0}`;
}
