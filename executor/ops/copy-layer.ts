// A COPY from a build context that no step of this build mounts (the image's last layer, say)
// never needs its files on disk: the copy lays out only its directories in the new snapshot's
// upper directory, and the layer tar is written from those and from the context's own files, as
// the copy would have placed them. The snapshot is then dropped; a later build that mounts the
// result gets its filesystem from the layer blob. Each copied file is read once and created
// nowhere, where a snapshot would create it and the export read it again.
//
// The tar is the one the export of the copied snapshot would write, byte for byte: the same
// change list (the upper directory's entries, plus one entry per file with the metadata the
// copy would have given it), in the same order, through the same writer.
import type { BigIntStats } from 'node:fs';
import { ingestLayerTar, overlayUpperChanges, sortChanges, writeLayer, type Change, type ContentStore } from '../../oci/index.ts';
import type { TargetMeta } from '../fileop/index.ts';
import type { BlobLayer } from '../refs/index.ts';

export class LayerOnlyCopy {
  /** The active snapshot's upper directory: the layer's root. */
  readonly #upper: string;
  readonly #files: Change[] = [];

  constructor(upper: string) {
    this.#upper = upper;
  }

  /**
   * Takes the file the copy would create at `target` (host path under the upper directory) from
   * `source`. A file with several links is left to the copy, which keeps them linked.
   */
  place(source: string, st: BigIntStats, target: string, meta: TargetMeta): boolean {
    if (st.nlink > 1n || !target.startsWith(this.#upper + '/')) return false;
    this.#files.push({ kind: 'entry', path: target.slice(this.#upper.length + 1), source, stat: asCopied(st, meta) });
    return true;
  }

  /** Writes the layer into the content store; the upper directory holds the rest of the copy. */
  async write(content: ContentStore): Promise<BlobLayer> {
    const changes: Change[] = [...this.#files];
    // Directories, links and multiply-linked files were made by the copy. None of them carries
    // extended attributes: the copy sets none, and the directories above it are made without.
    for await (const c of overlayUpperChanges(this.#upper, { xattrs: false })) changes.push(c);
    const { descriptor, diffID } = await ingestLayerTar(content, writeLayer(sortChanges(changes)));
    return { descriptor, diffID };
  }
}

/** The stat the copied file would have: the copy's owner, mode and time, one link. */
function asCopied(st: BigIntStats, meta: TargetMeta): BigIntStats {
  const copied = Object.create(Object.getPrototypeOf(st) as object) as BigIntStats;
  Object.assign(copied, st, {
    uid: BigInt(meta.uid),
    gid: BigInt(meta.gid),
    mode: (st.mode & ~0o7777n) | BigInt(meta.mode),
    // The tar keeps whole seconds.
    mtimeNs: BigInt(Math.floor(meta.mtime)) * 1_000_000_000n,
    nlink: 1n,
  });
  return copied;
}
