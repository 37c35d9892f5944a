// The snapshot tree's public shapes.
import type { Readable } from 'node:stream';
import type { ApplyResult } from './layer-format.ts';

/** A mount as an OCI runtime spec (runc) takes it. */
export interface Mount {
  type: 'overlay' | 'bind';
  source: string;
  options: string[];
}

export type SnapshotKind = 'active' | 'view' | 'committed';

/**
 * One layer of a committed snapshot's chain. `id` names the directory that holds it. For the
 * overlay snapshotter that directory is the layer itself (an upper dir, whiteouts included);
 * for the native snapshotter it is a full tree, and the layer is its difference from `base`'s
 * tree (or from nothing), unless `tar` says the layer was stored as a tar next to the tree.
 */
export interface LayerRef {
  id: string;
  base?: string;
  tar?: boolean;
}

export interface Usage {
  /** Bytes of regular-file content in the snapshot's own directory. */
  size: number;
  /** Directory entries in the snapshot's own directory. */
  inodes: number;
}

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  parent?: string;
  /** The layer chain, bottom first (committed snapshots and the parent chain of active ones). */
  layers: LayerRef[];
  created: string;
}

/** A directory Node can read; call release() when done (it may be a temporary mount). */
export interface ReadableDir {
  path: string;
  release(): Promise<void>;
}

export type SnapshotterName = 'overlayfs' | 'native';

/**
 * A tree of filesystem snapshots. Committed snapshots are immutable and point at their parent;
 * an active snapshot is a writable copy-on-write child of a committed one (or of nothing).
 */
export interface Snapshotter {
  readonly name: SnapshotterName;
  /** A writable snapshot on top of `parent` (a committed key) or empty. */
  prepare(key: string, parent?: string): Promise<SnapshotInfo>;
  /** A read-only snapshot of `parent`. */
  view(key: string, parent?: string): Promise<SnapshotInfo>;
  /** Freezes an active snapshot; returns the committed key (`key`, or a new unique one). */
  commit(activeKey: string, key?: string): Promise<string>;
  /** Removes a snapshot; refused while another snapshot has it as parent. */
  remove(key: string): Promise<void>;
  /** What a runtime mounts as the rootfs for this active or view snapshot. */
  mounts(key: string): Promise<Mount[]>;
  usage(key: string): Promise<Usage>;
  stat(key: string): Promise<SnapshotInfo | undefined>;
  list(): Promise<SnapshotInfo[]>;

  /** A writable directory for Node-side file operations on an active snapshot. */
  activeDir(key: string): Promise<string>;
  /** A readable directory with the full contents of any snapshot. */
  readable(key: string): Promise<ReadableDir>;
  /**
   * Overlay only: the upper directory of an active snapshot that is not mounted, to be written
   * in place when every write goes under `/<path>`, no layer below has an entry `path` and each
   * of its ancestors is a directory (so the new subtree needs no whiteout or opaque marker; the
   * ancestors are copied up as the kernel would). Undefined when that does not hold.
   */
  newSubtreeDir?(key: string, path: string): Promise<string | undefined>;
  /**
   * Overlay only: whether `path` is a directory in an unmounted active snapshot's lower layers,
   * reached through directories only (so a `mkdir -p` of it changes nothing).
   */
  hasLowerDirectory?(key: string, path: string): Promise<boolean>;
  /**
   * Overlay only: the directory holding a committed snapshot's own layer (read only: committed
   * layers never change, so their files may be hard-linked into a new snapshot's upper dir).
   */
  ownLayerDir?(key: string): Promise<string | undefined>;

  /** The layer tar of a committed snapshot against its parent (its own, top layer). */
  diff(key: string): Readable;
  /** The tar of one layer of a chain. */
  layerTar(layer: LayerRef): Readable;
  /**
   * Overlay only: the directory `layerTar(layer)` is written from (its upper directory, read as
   * `overlayUpperChanges` reads it), so that another thread can write the same tar.
   */
  layerDir?(layer: LayerRef): string | undefined;
  /** Unpacks a layer tar as a new committed snapshot on top of `parent`. */
  applyTar(tar: AsyncIterable<Buffer | Uint8Array | string>, parent?: string, key?: string): Promise<{ key: string; result: ApplyResult }>;
  /** A committed snapshot stacking the inputs in order; its chain is their chains concatenated. */
  merge(keys: readonly string[], key?: string): Promise<string>;
  /**
   * A committed snapshot holding the changes from `lower` to `upper`: upper's own layers when
   * lower's chain is a prefix of upper's, otherwise one computed layer.
   */
  diffSnapshots(lower: string | undefined, upper: string, key?: string): Promise<string>;
  /** Unmounts what this process mounted. */
  close(): Promise<void>;
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}
