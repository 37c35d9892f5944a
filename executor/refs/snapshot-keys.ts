// The snapshot keys a ref's filesystem is materialised under. They are derived from the ref's
// record alone (never random), so every process makes the same key for the same ref, and garbage
// collection can tell which snapshots a kept ref may still use without materialising anything.
import { createHash } from 'node:crypto';
import type { Digest } from '../../llb/index.ts';
import { layerIdentity } from './layer-identity.ts';
import type { LayerEntry } from './types.ts';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** OCI chain IDs of a layer stack, bottom first. */
export function chainIDs(diffIDs: readonly Digest[]): string[] {
  const out: string[] = [];
  let chain = '';
  for (const d of diffIDs) {
    chain = chain === '' ? d : `sha256:${sha(`${chain} ${d}`)}`;
    out.push(chain);
  }
  return out;
}

/** The snapshot keys an image's layers unpack into, bottom first (one per chain ID). */
export function imageSnapshotKeys(diffIDs: readonly Digest[]): string[] {
  return chainIDs(diffIDs).map((c) => `image-${c.slice('sha256:'.length)}`);
}

/** The snapshot a merge of these committed snapshots is made under. */
export function mergeSnapshotKey(keys: readonly string[]): string {
  return `merge-${sha(keys.join('\0'))}`;
}

/** The snapshot the changes from `lower` to `upper` are made under. */
export function diffSnapshotKey(lower: string | undefined, upper: string): string {
  return `diff-${sha(`${lower ?? ''}\0${upper}`)}`;
}

/** The snapshot a built layer blob is applied on `parent` under. */
export function layerSnapshotKey(parent: string | undefined, diffID: Digest): string {
  return `layer-${sha(`${parent ?? ''}\0${diffID}`)}`;
}

/** The snapshot of scratch, used when a diff has no upper filesystem. */
export const EMPTY_SNAPSHOT_KEY = 'empty';

/** The file name under `refs/diffids/` remembering a snapshot layer's diff_id. */
export function diffIDKey(e: LayerEntry): string {
  return sha(layerIdentity(e));
}
