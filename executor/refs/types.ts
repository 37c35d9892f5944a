// What a ref is made of. A ref is the immutable result of an op: the solver keeps only its `id`;
// everything else is in its record (`<root>/refs/<id>.json`), written before the op returns.
import type { Digest } from '../../llb/index.ts';
import type { Descriptor, OciPlatform } from '../../oci/index.ts';
import type { LayerRef } from '../snapshot/index.ts';

export const REF_RECORD_VERSION = 1;

/** A layer that already exists as a blob: pulled, or from an image in the local store. */
export interface BlobLayer {
  readonly descriptor: Descriptor;
  readonly diffID: Digest;
  /**
   * Where the blob can be fetched from when the content store lacks it: an image reference (a
   * registry repository), or the absolute path of a local cache directory (an OCI layout).
   */
  readonly source?: string;
}

/**
 * One layer of a ref's export chain. A layer exports from its blob when it has one (so base and
 * linked layers keep their bytes), else from the snapshot layer's tar.
 */
export interface LayerEntry {
  readonly blob?: BlobLayer;
  readonly snapshot?: LayerRef;
  /** What made the layer (the vertex name): the history entry of an exported image. */
  readonly description?: string;
  /**
   * A blob this builder wrote for one of its own steps (not a base image's): exporters give it
   * the export's compression, and it never counts as a base layer.
   */
  readonly built?: boolean;
}

/**
 * How the ref's filesystem is obtained.
 * - `snapshot`: a committed snapshot that exists.
 * - `image`: the blobs of `layers`, unpacked on first use into a chain of snapshots keyed by
 *   chain ID (shared by every image with the same layers).
 * - `merge` / `diff`: made from other refs on first use.
 * - `layer`: the last entry of `layers` is a blob this builder wrote (a step's changes written
 *   straight to a layer tar), applied on `parent`'s filesystem on first use.
 * - `empty`: scratch.
 */
export type RefSource =
  | { readonly kind: 'snapshot'; readonly key: string }
  | { readonly kind: 'image'; readonly config?: Descriptor; readonly platform?: OciPlatform; readonly reference?: string }
  | { readonly kind: 'merge'; readonly inputs: readonly string[] }
  | { readonly kind: 'diff'; readonly lower?: string; readonly upper: string }
  | { readonly kind: 'layer'; readonly parent?: string }
  | { readonly kind: 'empty' };

export interface RefRecord {
  readonly v: typeof REF_RECORD_VERSION;
  readonly id: string;
  readonly source: RefSource;
  /** Bottom first. As many entries as the ref's snapshot has layers, once it is materialised. */
  readonly layers: readonly LayerEntry[];
  readonly created: string;
}

/** A build context directory read in place (never copied, never persisted). */
export interface LocalSource {
  readonly kind: 'local';
  readonly name: string;
  /** The directory consumers read: the context itself, or a filtered link farm of it. */
  readonly dir: string;
}
