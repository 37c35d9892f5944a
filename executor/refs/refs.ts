// Refs: the results ops hand the solver. A ref is immutable; its filesystem may not exist yet
// (an image whose layers are still blobs, a merge nobody has mounted) and is made on first use,
// at most once per process for each key (the keys are deterministic, so two processes racing
// for the same one end up sharing it).
//
//   image ─┐                         ┌─► readable(ref)      (a directory to read)
//   merge ─┼─ snapshotKey(ref) ──────┼─► parent for prepare (exec root, file base)
//   diff  ─┘   (materialise, memo)   └─► layers(ref)        (export: blobs reused, else tars)
//
// Invariant: once materialised, a ref's snapshot has exactly as many layers as the ref has
// entries, in the same order, so a child's new layers are those of its snapshot past the parent's.
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import { AsyncMemo, type Digest } from '../../llb/index.ts';
import type { Result } from '../../solver/index.ts';
import {
  blobLayerSource,
  compressionOfMediaType,
  createDecompressor,
  tarLayerSource,
  type ContentStore,
  type Descriptor,
  type ImageConfig,
  type LayerSource,
} from '../../oci/index.ts';
import { SnapshotError, type LayerRef, type ReadableDir, type Snapshotter } from '../snapshot/index.ts';
import { layerIdentity } from './layer-identity.ts';
import { newRefId, RefStore } from './ref-store.ts';
import { diffIDKey, diffSnapshotKey, EMPTY_SNAPSHOT_KEY, imageSnapshotKeys, layerSnapshotKey, mergeSnapshotKey } from './snapshot-keys.ts';
import { REF_RECORD_VERSION, type BlobLayer, type LayerEntry, type LocalSource, type RefRecord, type RefSource } from './types.ts';

/** Byte progress of a blob brought in to unpack a lazy image. */
export type PullProgressSink = (p: { id: string; current: number; total: number; done: boolean }) => void;

export interface RefManagerOptions {
  root: string;
  snapshotter: Snapshotter;
  content: ContentStore;
  /** Brings a blob into the content store from the image `source` names; absent: local blobs only. */
  fetchBlob?: (source: string, d: Descriptor, onProgress?: (current: number) => void) => Promise<void>;
}

export class Ref implements Result {
  readonly id: string;
  /** Undefined for a local context. */
  readonly record: RefRecord | undefined;
  readonly local: LocalSource | undefined;

  constructor(id: string, record: RefRecord | undefined, local?: LocalSource) {
    this.id = id;
    this.record = record;
    this.local = local;
  }

  get layers(): readonly LayerEntry[] {
    return this.record?.layers ?? [];
  }
}

export function isRef(r: Result | undefined): r is Ref {
  return r instanceof Ref;
}

/** The result as a ref; a result another executor made is a bug, not input. */
export function asRef(result: Result): Ref {
  if (!isRef(result)) throw new TypeError(`result ${result.id} was not made by this executor`);
  return result;
}

function isEntryPrefix(a: readonly LayerEntry[], b: readonly LayerEntry[]): boolean {
  return a.length <= b.length && a.every((e, i) => layerIdentity(e) === layerIdentity(b[i]!));
}

export class RefManager {
  readonly #opts: RefManagerOptions;
  readonly #store: RefStore;
  // "Gone" is not kept: a later build may record the ref again.
  readonly #loaded = new AsyncMemo<string, Ref | undefined>({ keep: (r) => r !== undefined });
  readonly #locals = new Map<string, Ref>();
  readonly #materialising = new AsyncMemo<string, string>();
  readonly #localSnapshots = new AsyncMemo<string, Ref>();
  readonly #sources = new AsyncMemo<string, LayerSource>();
  /** Snapshot layers being written into the content store elsewhere, by layer identity. */
  readonly #writing = new Map<string, Promise<unknown>>();
  readonly #empty: string;

  constructor(opts: RefManagerOptions) {
    this.#opts = opts;
    this.#store = new RefStore(opts.root);
    this.#empty = join(opts.root, 'tmp', 'empty');
  }

  get snapshotter(): Snapshotter {
    return this.#opts.snapshotter;
  }

  // ---- making refs --------------------------------------------------------------------------

  /** `created` defaults to now; an imported result keeps the time it was first built. */
  async create(source: RefSource, layers: readonly LayerEntry[], created?: string): Promise<Ref> {
    const rec: RefRecord = { v: REF_RECORD_VERSION, id: newRefId(), source, layers, created: created ?? new Date().toISOString() };
    await this.#store.put(rec);
    const ref = new Ref(rec.id, rec);
    this.#loaded.set(rec.id, ref);
    return ref;
  }

  /** A ref over a build context directory: read in place, valid for this process only. */
  local(name: string, dir: string): Ref {
    const id = `local-${newRefId().slice(2)}`;
    const ref = new Ref(id, undefined, { kind: 'local', name, dir });
    this.#locals.set(id, ref);
    return ref;
  }

  /** A lazy image: its layers stay blobs until something needs the filesystem. */
  image(layers: readonly BlobLayer[], source: Extract<RefSource, { kind: 'image' }>, description: (i: number) => string, created?: string): Promise<Ref> {
    return this.create(
      source,
      layers.map((blob, i) => ({ blob, description: description(i) })),
      created,
    );
  }

  /**
   * The ref of a snapshot committed on top of `parent` (a ref whose snapshot was its parent, or
   * none): the parent's layers followed by the snapshot's new ones.
   */
  async child(parent: Ref | undefined, committedKey: string, description: string): Promise<Ref> {
    const info = await this.#opts.snapshotter.stat(committedKey);
    if (!info) throw new SnapshotError(`snapshot ${JSON.stringify(committedKey)} vanished after commit`);
    const base = parent ? await this.#snapshotParent(parent) : undefined;
    const below = base?.layers ?? [];
    if (info.layers.length < below.length) throw new Error(`snapshot ${committedKey} has fewer layers than its parent`);
    const own = info.layers.slice(below.length).map((snapshot): LayerEntry => ({ snapshot, description }));
    return this.create({ kind: 'snapshot', key: committedKey }, [...below, ...own]);
  }

  /**
   * A step's changes already written as a layer blob (`built`), over `parent`: nothing is
   * unpacked now; the filesystem is the blob applied on the parent's, made on first use.
   */
  async layerOn(parent: Ref | undefined, blob: BlobLayer, description: string): Promise<Ref> {
    const base = parent ? await this.#snapshotParent(parent) : undefined;
    return this.create({ kind: 'layer', ...(base ? { parent: base.id } : {}) }, [...(base?.layers ?? []), { blob, description, built: true }]);
  }

  /** Inputs stacked in order; their layers are concatenated, nothing is unpacked or copied now. */
  async merge(inputs: readonly Ref[]): Promise<Ref> {
    const parts = await Promise.all(inputs.map((r) => this.#snapshotParent(r)));
    return this.create(
      { kind: 'merge', inputs: parts.map((p) => p.id) },
      parts.flatMap((p) => p.layers),
    );
  }

  /**
   * The changes from `lower` to `upper`: upper's own layers when lower's are a prefix of them
   * (blobs reused), otherwise one layer computed now.
   */
  async diff(lower: Ref | undefined, upper: Ref, description: string): Promise<Ref> {
    const lo = lower ? await this.#snapshotParent(lower) : undefined;
    const up = await this.#snapshotParent(upper);
    const below = lo?.layers ?? [];
    if (isEntryPrefix(below, up.layers)) {
      return this.create({ kind: 'diff', ...(lo ? { lower: lo.id } : {}), upper: up.id }, up.layers.slice(below.length));
    }
    const lowerKey = lo ? await this.snapshotKey(lo) : undefined;
    const upperKey = await this.snapshotKey(up);
    const key = await this.#opts.snapshotter.diffSnapshots(lowerKey, upperKey ?? (await this.#emptySnapshot()));
    const info = await this.#opts.snapshotter.stat(key);
    return this.create(
      { kind: 'snapshot', key },
      (info?.layers ?? []).map((snapshot) => ({ snapshot, description })),
    );
  }

  // ---- loading --------------------------------------------------------------------------------

  /** Re-opens a recorded ref; undefined when the record, its snapshot or its blobs are gone. */
  load(id: string): Promise<Ref | undefined> {
    const local = this.#locals.get(id);
    if (local) return Promise.resolve(local);
    return this.#loaded.get(id, (i) => this.#load(i));
  }

  async #load(id: string): Promise<Ref | undefined> {
    const rec = await this.#store.get(id);
    if (!rec) return undefined;
    const src = rec.source;
    switch (src.kind) {
      case 'snapshot': {
        const info = await this.#opts.snapshotter.stat(src.key);
        if (info?.kind !== 'committed') return undefined;
        break;
      }
      case 'image': {
        if (!(await this.#imageAvailable(rec))) return undefined;
        break;
      }
      case 'merge':
        for (const i of src.inputs) if (!(await this.load(i))) return undefined;
        break;
      case 'diff':
        if (src.lower !== undefined && !(await this.load(src.lower))) return undefined;
        if (!(await this.load(src.upper))) return undefined;
        break;
      case 'layer': {
        if (src.parent !== undefined && !(await this.load(src.parent))) return undefined;
        const top = rec.layers[rec.layers.length - 1]?.blob;
        if (!top || !(await this.#opts.content.has(top.descriptor.digest))) return undefined;
        break;
      }
      case 'empty':
        break;
    }
    return new Ref(id, rec);
  }

  async #imageAvailable(rec: RefRecord): Promise<boolean> {
    const keys = this.#imageKeys(rec);
    const top = keys[keys.length - 1];
    if (top === undefined || (await this.#opts.snapshotter.stat(top))) return true;
    for (const e of rec.layers) {
      const b = e.blob;
      if (!b) return false;
      if (await this.#opts.content.has(b.descriptor.digest)) continue;
      if (b.source === undefined || !this.#opts.fetchBlob) return false;
    }
    return true;
  }

  // ---- materialising --------------------------------------------------------------------------

  #imageKeys(rec: RefRecord): string[] {
    return imageSnapshotKeys(rec.layers.map((e) => e.blob!.diffID));
  }

  /**
   * The committed snapshot holding the ref's filesystem, made now if needed; undefined for an
   * empty ref. A local context is copied into a snapshot only when a step must write on it.
   */
  async snapshotKey(ref: Ref, progress?: PullProgressSink): Promise<string | undefined> {
    if (ref.local) return this.snapshotKey(await this.#localSnapshot(ref));
    const rec = ref.record!;
    const src = rec.source;
    switch (src.kind) {
      case 'snapshot':
        return src.key;
      case 'empty':
        return undefined;
      case 'image':
        return this.#unpackImage(rec, progress);
      case 'merge': {
        const keys: string[] = [];
        for (const id of src.inputs) {
          const k = await this.snapshotKey(await this.#mustLoad(id), progress);
          if (k !== undefined) keys.push(k);
        }
        if (keys.length === 0) return undefined;
        if (keys.length === 1) return keys[0];
        return this.#once(mergeSnapshotKey(keys), (key) => this.#opts.snapshotter.merge(keys, key));
      }
      case 'layer': {
        const parent = src.parent !== undefined ? await this.snapshotKey(await this.#mustLoad(src.parent), progress) : undefined;
        const blob = rec.layers[rec.layers.length - 1]!.blob!;
        return this.#once(layerSnapshotKey(parent, blob.diffID), (key) => this.#opts.snapshotter.applyTar(this.#openBlobTar(blob.descriptor), parent, key));
      }
      case 'diff': {
        const lower = src.lower !== undefined ? await this.snapshotKey(await this.#mustLoad(src.lower), progress) : undefined;
        const upper = await this.snapshotKey(await this.#mustLoad(src.upper), progress);
        if (upper === undefined) return undefined;
        return this.#once(diffSnapshotKey(lower, upper), (key) => this.#opts.snapshotter.diffSnapshots(lower, upper, key));
      }
    }
  }

  async #mustLoad(id: string): Promise<Ref> {
    const r = await this.load(id);
    if (!r) throw new Error(`the build result ${id} is gone from the cache; rebuild without cache (--no-cache)`);
    return r;
  }

  /** Makes `key` once per process; another process making it at the same time is fine too. */
  #once(key: string, make: (key: string) => Promise<unknown>): Promise<string> {
    return this.#materialising.get(key, async () => {
      if (await this.#opts.snapshotter.stat(key)) return key;
      try {
        await make(key);
      } catch (e) {
        if (!(e instanceof SnapshotError && (await this.#opts.snapshotter.stat(key)))) throw e;
      }
      return key;
    });
  }

  async #unpackImage(rec: RefRecord, progress?: PullProgressSink): Promise<string | undefined> {
    const keys = this.#imageKeys(rec);
    if (keys.length === 0) return undefined;
    // Fetch every missing blob at once (the network is the slow part), unpack in order.
    const fetched = rec.layers.map((e, i) => this.#opts.snapshotter.stat(keys[i]!).then((s) => (s ? undefined : this.#ensureBlob(e.blob!, progress))));
    for (const p of fetched) p.catch(() => {}); // seen where the loop below awaits it; not an unhandled rejection meanwhile
    let parent: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      const blob = rec.layers[i]!.blob!;
      const below = parent;
      parent = await this.#once(keys[i]!, async (key) => {
        await fetched[i];
        await this.#opts.snapshotter.applyTar(this.#openBlobTar(blob.descriptor), below, key);
      });
    }
    return parent;
  }

  /** Brings a blob layer's blob into the content store (from its source) unless it is there. */
  ensureBlob(b: BlobLayer): Promise<void> {
    return this.#ensureBlob(b);
  }

  /** The ref's layer entries as exporters see them (a local context becomes a snapshot first). */
  async layerEntries(ref: Ref): Promise<readonly LayerEntry[]> {
    return (await this.#snapshotParent(ref)).layers;
  }

  async #ensureBlob(b: BlobLayer, progress?: PullProgressSink): Promise<void> {
    if (await this.#opts.content.has(b.descriptor.digest)) return;
    if (b.source === undefined || !this.#opts.fetchBlob) {
      throw new Error(`layer ${b.descriptor.digest} is not in the content store and there is no registry to fetch it from`);
    }
    const id = `pulling ${b.descriptor.digest}`;
    const total = b.descriptor.size;
    await this.#opts.fetchBlob(b.source, b.descriptor, progress ? (current) => progress({ id, current, total, done: false }) : undefined);
    progress?.({ id, current: total, total, done: true });
  }

  #openBlobTar(d: Descriptor): Readable {
    const out = new PassThrough();
    this.#opts.content
      .open(d.digest)
      .then((raw) => pipeline(raw, createDecompressor(compressionOfMediaType(d.mediaType)), out))
      .catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  async #emptySnapshot(): Promise<string> {
    return this.#once(EMPTY_SNAPSHOT_KEY, async (key) => {
      const active = `empty-${newRefId()}`;
      await this.#opts.snapshotter.prepare(active);
      await this.#opts.snapshotter.commit(active, key);
    });
  }

  /** A local context as a committed snapshot: one copy, made once per ref. */
  #localSnapshot(ref: Ref): Promise<Ref> {
    return this.#localSnapshots.get(ref.id, async () => {
      const s = this.#opts.snapshotter;
      const active = `local-${newRefId()}`;
      await s.prepare(active);
      try {
        await cp(ref.local!.dir, await s.activeDir(active), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: true });
        const key = await s.commit(active);
        return this.child(undefined, key, `local context ${ref.local!.name}`);
      } catch (e) {
        await s.remove(active).catch(() => {});
        throw e;
      }
    });
  }

  /** The ref whose layers a child snapshot continues (a local context becomes a snapshot first). */
  #snapshotParent(ref: Ref): Promise<Ref> {
    return ref.local ? this.#localSnapshot(ref) : Promise.resolve(ref);
  }

  // ---- reading --------------------------------------------------------------------------------

  /** A directory with the ref's filesystem (the context itself for a local ref); release it after. */
  /**
   * `compute`'s answer for a part of a ref's content, remembered on disk per ref and `selection`
   * (a hex digest naming the part), so a rebuild does not mount and read a result it hashed
   * before. A local context can change between builds: it is hashed every time.
   */
  async contentDigest(ref: Ref, selection: string, compute: () => Promise<Digest>): Promise<Digest> {
    if (ref.local) return compute();
    const known = await this.#store.contentDigest(ref.id, selection);
    if (known) return known;
    const d = await compute();
    await this.#store.saveContentDigest(ref.id, selection, d);
    return d;
  }

  async readable(ref: Ref | undefined, progress?: PullProgressSink): Promise<ReadableDir> {
    if (ref?.local) return { path: ref.local.dir, release: async () => {} };
    const key = ref ? await this.snapshotKey(ref, progress) : undefined;
    if (key === undefined) {
      await mkdir(this.#empty, { recursive: true });
      return { path: this.#empty, release: async () => {} };
    }
    return this.#opts.snapshotter.readable(key);
  }

  /** The committed snapshot to prepare a writable child on (undefined: start empty). */
  async parentKey(ref: Ref | undefined, progress?: PullProgressSink): Promise<string | undefined> {
    return ref ? this.snapshotKey(ref, progress) : undefined;
  }

  /** The config of an image ref, when the ref is one. */
  async imageConfig(ref: Ref): Promise<ImageConfig | undefined> {
    const src = ref.record?.source;
    if (src?.kind !== 'image' || !src.config) return undefined;
    return this.#opts.content.readJson<ImageConfig>(src.config.digest);
  }

  // ---- export ---------------------------------------------------------------------------------

  /**
   * The ref's layers for an exporter, bottom first. The same layer (a blob, or a snapshot layer)
   * is always the same LayerSource, so it is compressed once and exported byte for byte alike
   * whatever it is stacked on.
   */
  async layers(ref: Ref): Promise<LayerSource[]> {
    const base = await this.#snapshotParent(ref);
    return Promise.all(base.layers.map((e) => this.#layerSource(e)));
  }

  #layerSource(e: LayerEntry): Promise<LayerSource> {
    const id = layerIdentity(e);
    return this.#sources.get(id, () => this.#makeLayerSource(e));
  }

  /**
   * The ref's own (top) snapshot layer, when another thread can write its tar: its entry and
   * the directory the tar is made of. See `writingLayer`.
   */
  ownLayer(ref: Ref): { entry: LayerEntry; dir: string } | undefined {
    const entry = ref.layers.at(-1);
    if (ref.record?.source.kind !== 'snapshot' || !entry?.snapshot || entry.blob) return undefined;
    const dir = this.#opts.snapshotter.layerDir?.(entry.snapshot);
    return dir === undefined ? undefined : { entry, dir };
  }

  /**
   * A snapshot layer's tar is being written into the content store elsewhere (with its blob
   * link and listing): its diff_id is recorded once known, and an export of the layer waits for
   * it, then finds the blob made. A failed write leaves the layer to the export.
   */
  writingLayer(e: LayerEntry, diffID: Promise<Digest>): Promise<void> {
    const done = diffID.then((d) => this.#store.saveDiffID(diffIDKey(e), d));
    const settled = done.catch(() => {});
    this.#writing.set(layerIdentity(e), settled);
    return done;
  }

  async #makeLayerSource(e: LayerEntry): Promise<LayerSource> {
    const { content } = this.#opts;
    await this.#writing.get(layerIdentity(e));
    const desc = e.description !== undefined ? { description: e.description } : {};
    if (e.blob) {
      const b = e.blob;
      return blobLayerSource(content, { descriptor: b.descriptor, diffID: b.diffID, fetch: () => this.#ensureBlob(b), ...desc });
    }
    const layer: LayerRef = e.snapshot!;
    const key = diffIDKey(e);
    const known = await this.#store.diffID(key);
    const src = tarLayerSource(content, { openTar: () => this.#opts.snapshotter.layerTar(layer), ...(known ? { diffID: known } : {}), ...desc });
    if (known) return src;
    // Remember the diff_id once it is computed: the next export skips hashing the tar.
    const remember = async (): Promise<Digest> => {
      const d = await src.diffID();
      await this.#store.saveDiffID(key, d);
      return d;
    };
    return {
      ...desc,
      diffID: remember,
      openTar: () => src.openTar(),
      files: () => src.files(),
      blob: async (c) => {
        const out = await src.blob(c);
        await remember();
        return out;
      },
    };
  }
}
