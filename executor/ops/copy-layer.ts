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
//
// The same COPY built again (one file of a big context edited) takes every unchanged file's
// entry from its previous layer's blob: a memo per COPY (`<root>/copy-reuse/layer-<key>.json`,
// keyed by the op's cache-map digest, a hint removed by every prune) names that blob and where
// each file's entry lies in it, with everything the entry's bytes depend on: its path, the
// owner, mode, time and size it was written with, and the entry digest of the content the op's
// content key verified. Runs of such entries are read from the blob in one go instead of
// opening each file.
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { ingestLayerChanges, overlayUpperChanges, sortChanges, type Change, type ContentStore, type WriteLayerOptions } from '../../oci/index.ts';
import type { Digest } from '../../llb/index.ts';
import type { TargetMeta } from '../fileop/index.ts';
import type { BlobLayer } from '../refs/index.ts';
import { readMemoFile, writeMemoFile } from './memo-file.ts';

const MEMO_VERSION = 3;

/** What a file entry's bytes depend on besides its path: uid, gid, mode, mtime (s), size, entry digest. */
type EntryOf = [number, number, number, number, number, string];

/** A file entry of a layer: its path, what its bytes depend on, and where it lies in the tar. */
type MemoEntry = [string, ...EntryOf, number, number];

interface LayerMemo {
  v: typeof MEMO_VERSION;
  blob: Digest;
  size: number;
  entries: MemoEntry[];
}

/** A previous layer of the same COPY: its blob's path and its file entries by path. */
export interface PreviousLayer {
  file: string;
  entries: Map<string, MemoEntry>;
}

export class LayerOnlyCopy {
  /** The active snapshot's upper directory: the layer's root. */
  readonly #upper: string;
  readonly #previous: PreviousLayer | undefined;
  readonly #changes: Change[] = [];
  /** What each file's entry depends on, by layer path. */
  readonly #entryOf = new Map<string, EntryOf>();
  #reused = 0;
  #files = 0;

  constructor(upper: string, previous?: PreviousLayer) {
    this.#upper = upper;
    this.#previous = previous;
  }

  /** How many files the layer holds, and how many of those came from the previous layer. */
  get counts(): { files: number; reused: number } {
    return { files: this.#files, reused: this.#reused };
  }

  /**
   * Takes the file the copy would create at `target` (host path under the upper directory) from
   * `source`, whose verified entry digest is `digest` (undefined: not covered by the content
   * key). A file with several links is left to the copy, which keeps them linked.
   */
  place(source: string, st: BigIntStats, target: string, meta: TargetMeta, digest: string | undefined): boolean {
    if (st.nlink > 1n || !target.startsWith(this.#upper + '/')) return false;
    const path = target.slice(this.#upper.length + 1);
    this.#files++;
    if (digest !== undefined) {
      // The tar keeps whole seconds.
      const of: EntryOf = [meta.uid, meta.gid, meta.mode, Math.floor(meta.mtime), Number(st.size), digest];
      this.#entryOf.set(path, of);
      const was = this.#previous?.entries.get(path);
      if (was && sameEntry(was, of)) {
        this.#reused++;
        this.#changes.push({ kind: 'bytes', path, file: this.#previous!.file, offset: was[7], length: was[8], size: of[4] });
        return true;
      }
    }
    // Read when the layer is written: it must still be the file the content key covered.
    // The tar keeps whole seconds.
    const written = { uid: meta.uid, gid: meta.gid, mode: meta.mode, mtime: Math.floor(meta.mtime) };
    this.#changes.push({ kind: 'entry', path, source, stat: st, verify: st, written });
    return true;
  }

  /**
   * Writes the layer into the content store; the upper directory holds the rest of the copy.
   * `readFile` reads the small files elsewhere (WriteLayerOptions.readFile).
   */
  async write(content: ContentStore, memo?: { root: string; key: string }, readFile?: WriteLayerOptions['readFile']): Promise<BlobLayer> {
    const changes: Change[] = [...this.#changes];
    // Directories, links and multiply-linked files were made by the copy. None of them carries
    // extended attributes: the copy sets none, and the directories above it are made without.
    for await (const c of overlayUpperChanges(this.#upper, { xattrs: false })) changes.push(c);
    const entries: MemoEntry[] = [];
    const onFileEntry = (path: string, offset: number, length: number): void => {
      const of = this.#entryOf.get(path);
      if (of !== undefined) entries.push([path, ...of, offset, length]);
    };
    const { descriptor, diffID } = await ingestLayerChanges(content, sortChanges(changes), { onFileEntry, ...(readFile ? { readFile } : {}) });
    // Written while the build goes on: the memo is a hint for the next build of this COPY.
    if (memo) writeMemoFile(memoPath(memo.root, memo.key), { v: MEMO_VERSION, blob: descriptor.digest, size: descriptor.size, entries } satisfies LayerMemo);
    return { descriptor, diffID };
  }
}

function sameEntry(was: MemoEntry, of: EntryOf): boolean {
  return was[1] === of[0] && was[2] === of[1] && was[3] === of[2] && was[4] === of[3] && was[5] === of[4] && was[6] === of[5];
}

function memoPath(root: string, key: string): string {
  return join(root, 'copy-reuse', `layer-${key.replace(/^sha256:/, '')}.json`);
}

/** The previous layer of the COPY keyed `key`, when its memo and its blob (of the size noted) are there. */
export async function previousLayer(root: string, key: string, content: ContentStore): Promise<PreviousLayer | undefined> {
  const m = await readMemoFile(memoPath(root, key), (json) => {
    const m = json as Partial<LayerMemo>;
    return m.v === MEMO_VERSION && typeof m.blob === 'string' && typeof m.size === 'number' && Array.isArray(m.entries) ? (m as LayerMemo) : undefined;
  });
  if (!m) return undefined;
  // Blobs are immutable and verified when stored: the one of that digest and size holds the
  // bytes the memo describes.
  const info = await content.info(m.blob);
  if (!info || info.size !== m.size) return undefined;
  return { file: content.blobPath(m.blob), entries: new Map(m.entries.map((e) => [e[0], e])) };
}
