// overlayfs snapshots. A committed snapshot's own directory *is* its layer (an upper dir with
// whiteout devices and opaque xattrs); an active snapshot is an overlay of its parent chain's
// layer dirs plus a fresh upper and work dir (a bind of the upper when there is no parent).
import { randomBytes } from 'node:crypto';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dedupeLayers, type Driver, type SnapshotPaths } from './driver.ts';
import { applyLayer, overlayUpperChanges, writeLayer, type ApplyResult } from './layer-format.ts';
import { isMountPoint, mountOverlay, unmount } from './mount.ts';
import type { SnapshotRecord } from './records.ts';
import { SnapshotError, type LayerRef, type Mount, type ReadableDir } from './types.ts';
import { countWhiteouts } from './usage.ts';
import { WHITEOUT_DIRS, whiteoutDirs } from './whiteout-dirs.ts';

export class OverlayDriver implements Driver {
  readonly name = 'overlayfs' as const;
  readonly #p: SnapshotPaths;

  constructor(paths: SnapshotPaths) {
    this.#p = paths;
  }

  /**
   * Lower dirs for a chain, top first, relative to dirs/ (short mount options). A layer with
   * whiteouts has its whiteout-dirs right below it (see whiteout-dirs.ts).
   */
  async #lowers(layers: readonly LayerRef[]): Promise<string[]> {
    const out: string[] = [];
    for (const l of dedupeLayers(layers).reverse()) {
      out.push(`${l.id}/fs`);
      if (await whiteoutDirs(this.#p.dir(l.id), this.#p.fs(l.id))) out.push(`${l.id}/${WHITEOUT_DIRS}`);
    }
    return out;
  }

  async createActive(id: string): Promise<void> {
    await mkdir(this.#p.fs(id), { recursive: true });
    await mkdir(this.#p.work(id));
  }

  async freeze(rec: SnapshotRecord): Promise<void> {
    await this.release(rec);
    await rm(this.#p.work(rec.id), { recursive: true, force: true });
  }

  async release(rec: SnapshotRecord): Promise<void> {
    if (rec.kind !== 'active') return;
    const m = this.#p.merged(rec.id);
    if (await isMountPoint(m)) await unmount(m);
    await rmdir(m).catch(() => {});
  }

  async mounts(rec: SnapshotRecord): Promise<Mount[]> {
    const abs = (rel: string) => join(this.#p.dirs, rel);
    if (rec.kind === 'active') {
      if (rec.layers.length === 0) return [{ type: 'bind', source: this.#p.fs(rec.id), options: ['rbind', 'rw'] }];
      return [
        {
          type: 'overlay',
          source: 'overlay',
          options: [`lowerdir=${(await this.#lowers(rec.layers)).map(abs).join(':')}`, `upperdir=${this.#p.fs(rec.id)}`, `workdir=${this.#p.work(rec.id)}`],
        },
      ];
    }
    if (rec.kind === 'view') {
      if (rec.layers.length === 0) return [{ type: 'bind', source: this.#p.empty, options: ['rbind', 'ro'] }];
      // Read-only overlay; the empty dir at the bottom makes it valid for a single layer and
      // hides that layer's whiteout devices.
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${[...(await this.#lowers(rec.layers)).map(abs), this.#p.empty].join(':')}`] }];
    }
    throw new SnapshotError(`snapshot ${JSON.stringify(rec.key)} is committed: mount a view of it instead`);
  }

  async activeDir(rec: SnapshotRecord): Promise<string> {
    if (rec.kind !== 'active') throw new SnapshotError(`snapshot ${JSON.stringify(rec.key)} is not active`);
    if (rec.layers.length === 0) return this.#p.fs(rec.id);
    const m = this.#p.merged(rec.id);
    if (!(await isMountPoint(m))) {
      await mkdir(m, { recursive: true });
      await mountOverlay(m, { lowers: await this.#lowers(rec.layers), upper: `${rec.id}/fs`, work: `${rec.id}/work`, cwd: this.#p.dirs });
    }
    return m;
  }

  async readable(rec: SnapshotRecord): Promise<ReadableDir> {
    if (rec.kind === 'active') return { path: await this.activeDir(rec), release: async () => {} };
    const layers = dedupeLayers(rec.layers);
    if (layers.length === 0) return { path: this.#p.empty, release: async () => {} };
    if (layers.length === 1 && rec.id === layers[0]!.id && rec.whiteouts === 0) {
      return { path: this.#p.fs(rec.id), release: async () => {} };
    }
    const m = join(this.#p.mnt, `${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(m, { recursive: true });
    await mountOverlay(m, { lowers: [...(await this.#lowers(layers)), '../empty'], readonly: true, cwd: this.#p.dirs });
    return {
      path: m,
      release: async () => {
        await unmount(m);
        await rmdir(m);
      },
    };
  }

  layerTar(layer: LayerRef): AsyncIterable<Buffer> {
    return writeLayer(overlayUpperChanges(this.#p.fs(layer.id)));
  }

  async applyTar(rec: SnapshotRecord, tar: AsyncIterable<Buffer | Uint8Array | string>): Promise<ApplyResult> {
    // With no parent the upper dir is the whole tree: write it directly, whiteouts kept as
    // devices so the layer still deletes when stacked on other chains (merge). With a parent,
    // paths must be resolved in the merged view (a lower symlink, a lower dir's metadata), so
    // the layer goes through the overlay mount and the kernel records the changes.
    if (rec.layers.length === 0) return applyLayer(this.#p.fs(rec.id), tar, { mode: 'overlay' });
    return applyLayer(await this.activeDir(rec), tar, { mode: 'plain' });
  }

  async buildFromLayers(): Promise<string> {
    return ''; // stacked at mount time
  }

  async newLayer(id: string, tar: AsyncIterable<Buffer>): Promise<{ layer: LayerRef; whiteouts: number }> {
    await mkdir(this.#p.fs(id), { recursive: true });
    await applyLayer(this.#p.fs(id), tar, { mode: 'overlay' });
    return { layer: { id }, whiteouts: await countWhiteouts(this.#p.fs(id)) };
  }
}
