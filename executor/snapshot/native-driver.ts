// Copying snapshots for when overlayfs cannot be used. An active snapshot is a full copy of its
// parent's tree (`cp -a --reflink=auto`: a clone where the filesystem supports it, a copy
// otherwise). Copies, not hardlinks: a process in the snapshot may write files in place, and
// with shared inodes that would change the parent. A committed snapshot keeps its full tree;
// its layer is the difference from the parent's tree, found by walking both.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { runTool, ToolError } from '../../oci/index.ts';
import { sameLayer, type Driver, type SnapshotPaths } from './driver.ts';
import { applyChangesLinked, linkTree } from './farm.ts';
import { applyLayer, treeAsChanges, treeDiffChanges, writeLayer, type ApplyResult } from './layer-format.ts';
import type { SnapshotRecord } from './records.ts';
import { SnapshotError, type LayerRef, type Mount, type ReadableDir } from './types.ts';

async function copyTree(src: string, dst: string): Promise<void> {
  await runTool('cp', ['-a', '--reflink=auto', '--no-dereference', '--', src, dst]).catch((e: unknown) => {
    throw new SnapshotError(`copying snapshot tree failed: ${e instanceof ToolError ? e.detail : String(e)}`);
  });
}

export class NativeDriver implements Driver {
  readonly name = 'native' as const;
  readonly #p: SnapshotPaths;

  constructor(paths: SnapshotPaths) {
    this.#p = paths;
  }

  #tree(id: string): string {
    return id === '' ? this.#p.empty : this.#p.fs(id);
  }

  async createActive(id: string, parent: SnapshotRecord | undefined): Promise<void> {
    await mkdir(this.#p.dir(id), { recursive: true });
    if (parent && parent.id !== '') await copyTree(this.#p.fs(parent.id), this.#p.fs(id));
    else await mkdir(this.#p.fs(id));
  }

  async freeze(): Promise<void> {}

  async release(): Promise<void> {}

  async mounts(rec: SnapshotRecord): Promise<Mount[]> {
    if (rec.kind === 'active') return [{ type: 'bind', source: this.#p.fs(rec.id), options: ['rbind', 'rw'] }];
    if (rec.kind === 'view') return [{ type: 'bind', source: this.#tree(rec.id), options: ['rbind', 'ro'] }];
    throw new SnapshotError(`snapshot ${JSON.stringify(rec.key)} is committed: mount a view of it instead`);
  }

  async activeDir(rec: SnapshotRecord): Promise<string> {
    if (rec.kind !== 'active') throw new SnapshotError(`snapshot ${JSON.stringify(rec.key)} is not active`);
    return this.#p.fs(rec.id);
  }

  async readable(rec: SnapshotRecord): Promise<ReadableDir> {
    return { path: this.#tree(rec.id), release: async () => {} };
  }

  layerTar(layer: LayerRef): AsyncIterable<Buffer> {
    if (layer.tar) return createReadStream(this.#p.layerTar(layer.id));
    const changes = layer.base !== undefined ? treeDiffChanges(this.#tree(layer.base), this.#p.fs(layer.id)) : treeAsChanges(this.#p.fs(layer.id));
    return writeLayer(changes);
  }

  async applyTar(rec: SnapshotRecord, tar: AsyncIterable<Buffer | Uint8Array | string>): Promise<ApplyResult> {
    return applyLayer(this.#p.fs(rec.id), tar, { mode: 'plain' });
  }

  /** A hardlink farm: the first input's tree linked whole, then each later layer replayed. */
  async buildFromLayers(id: string, layers: readonly LayerRef[], first?: SnapshotRecord): Promise<string> {
    const fs = this.#p.fs(id);
    await mkdir(fs, { recursive: true });
    let rest = layers;
    if (first && first.id !== '' && first.layers.every((l, i) => layers[i] !== undefined && sameLayer(layers[i], l))) {
      await linkTree(this.#p.fs(first.id), fs);
      rest = layers.slice(first.layers.length);
    }
    for (const layer of rest) {
      if (layer.tar) await applyLayer(fs, createReadStream(this.#p.layerTar(layer.id)), { mode: 'plain' });
      else if (layer.base !== undefined) await applyChangesLinked(fs, treeDiffChanges(this.#tree(layer.base), this.#p.fs(layer.id)));
      else await applyChangesLinked(fs, treeAsChanges(this.#p.fs(layer.id)));
    }
    return id;
  }

  async newLayer(id: string, tar: AsyncIterable<Buffer>): Promise<{ layer: LayerRef; whiteouts: number }> {
    // The deletions of a computed layer exist only in its tar, so the tar is kept.
    await mkdir(this.#p.fs(id), { recursive: true });
    await pipeline(tar, createWriteStream(this.#p.layerTar(id)));
    await applyLayer(this.#p.fs(id), createReadStream(this.#p.layerTar(id)), { mode: 'plain' });
    return { layer: { id, tar: true }, whiteouts: 0 };
  }
}
