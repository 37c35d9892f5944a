// What differs between the overlayfs and the native snapshotter; the tree (snapshot-tree.ts)
// does records, crash safety and the layer-chain bookkeeping around it.
import { join } from 'node:path';
import type { ApplyResult } from './layer-format.ts';
import type { SnapshotRecord } from './records.ts';
import type { LayerRef, Mount, ReadableDir, SnapshotterName } from './types.ts';

/** Where things live under one snapshotter's root. */
export class SnapshotPaths {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  get meta(): string {
    return join(this.root, 'meta');
  }
  get dirs(): string {
    return join(this.root, 'dirs');
  }
  get mnt(): string {
    return join(this.root, 'mnt');
  }
  /** One empty file per process that has the tree open, named by its pid. */
  get owners(): string {
    return join(this.root, 'owners');
  }
  /** An always-empty directory: the bottom of read-only overlay mounts, the tree of nothing. */
  get empty(): string {
    return join(this.root, 'empty');
  }
  dir(id: string): string {
    return join(this.dirs, id);
  }
  fs(id: string): string {
    return join(this.dirs, id, 'fs');
  }
  work(id: string): string {
    return join(this.dirs, id, 'work');
  }
  merged(id: string): string {
    return join(this.dirs, id, 'merged');
  }
  layerTar(id: string): string {
    return join(this.dirs, id, 'layer.tar');
  }
}

export interface Driver {
  readonly name: SnapshotterName;
  /** Creates dirs/<id> for a new active snapshot on top of `parent`. */
  createActive(id: string, parent: SnapshotRecord | undefined): Promise<void>;
  /** Stops all writing to an active snapshot's directory before it is committed. */
  freeze(rec: SnapshotRecord): Promise<void>;
  /** Undoes what activeDir/readable mounted for this record. */
  release(rec: SnapshotRecord): Promise<void>;
  mounts(rec: SnapshotRecord): Promise<Mount[]>;
  activeDir(rec: SnapshotRecord): Promise<string>;
  readable(rec: SnapshotRecord): Promise<ReadableDir>;
  layerTar(layer: LayerRef): AsyncIterable<Buffer>;
  /** Applies a layer tar into an active snapshot. */
  applyTar(rec: SnapshotRecord, tar: AsyncIterable<Buffer | Uint8Array | string>): Promise<ApplyResult>;
  /**
   * Materialises a committed snapshot made of existing layers (a merge, a reused diff) under
   * dirs/<id>; returns the id its record should use ('' when nothing is needed).
   */
  buildFromLayers(id: string, layers: readonly LayerRef[], first?: SnapshotRecord): Promise<string>;
  /** A new single-layer snapshot dir at dirs/<id> from a layer tar. */
  newLayer(id: string, tar: AsyncIterable<Buffer>): Promise<{ layer: LayerRef; whiteouts: number }>;
}

export function sameLayer(a: LayerRef, b: LayerRef): boolean {
  return a.id === b.id && a.base === b.base && Boolean(a.tar) === Boolean(b.tar);
}

/** Keeps the topmost occurrence of each layer: stacking a layer twice equals stacking it once, on top. */
export function dedupeLayers(layers: readonly LayerRef[]): LayerRef[] {
  const out: LayerRef[] = [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (!out.some((o) => sameLayer(o, l))) out.unshift(l);
  }
  return out;
}
