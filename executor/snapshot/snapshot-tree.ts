// The snapshot tree: records, crash recovery, layer chains, merge and diff, over a Driver.
//
//   prepare(k, p) ──► active ──commit──► committed ◄── applyTar / merge / diffSnapshots
//                       │                    │
//                     remove              view(k, p) ──► view (read-only)
//
// Every change follows one order: the record that owns a directory is written before the
// directory is created, and a committed record is written only after its directory is final.
// Recovery (on open) drops active/view records of dead processes, committed records whose
// directories are missing, and any directory no record references.
import { chmod, chown, lstat, mkdir, readdir, readFile, rm, rmdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SnapshotPaths, dedupeLayers, sameLayer, type Driver } from './driver.ts';
import { treeDiffChanges, writeLayer, type ApplyResult } from './layer-format.ts';
import { isMountPoint, mountsUnder, unmount } from './mount.ts';
import { NativeDriver } from './native-driver.ts';
import { OverlayDriver } from './overlay-driver.ts';
import { RECORD_VERSION, RecordExistsError, RecordStore, newId, type SnapshotRecord } from './records.ts';
import { isAlive, processIdentity } from '../process/index.ts';
import { lookupInLayers, type LayeredEntry } from '../rootpath/index.ts';
import { SnapshotError, type LayerRef, type Mount, type ReadableDir, type SnapshotInfo, type Snapshotter, type SnapshotterName, type Usage } from './types.ts';
import { measure } from './usage.ts';

export interface SnapshotTreeOptions {
  /** Called between the steps of a commit; lets tests stop a process at a precise point. */
  onCommitStep?: (step: 'frozen' | 'measured' | 'recorded') => void | Promise<void>;
}

function info(r: SnapshotRecord): SnapshotInfo {
  return { key: r.key, kind: r.kind, ...(r.parent !== undefined ? { parent: r.parent } : {}), layers: r.layers, created: r.created };
}

function isPrefix(a: readonly LayerRef[], b: readonly LayerRef[]): boolean {
  return a.length <= b.length && a.every((l, i) => sameLayer(l, b[i]!));
}

export class SnapshotTree implements Snapshotter {
  readonly name: SnapshotterName;
  readonly paths: SnapshotPaths;
  readonly #store: RecordStore;
  readonly #driver: Driver;
  readonly #opts: SnapshotTreeOptions;
  /** Active and view snapshots this process made: what close() releases. */
  readonly #mine = new Set<string>();

  private constructor(name: SnapshotterName, dir: string, opts: SnapshotTreeOptions) {
    this.name = name;
    this.paths = new SnapshotPaths(dir);
    this.#store = new RecordStore(this.paths.meta);
    this.#driver = name === 'overlayfs' ? new OverlayDriver(this.paths) : new NativeDriver(this.paths);
    this.#opts = opts;
  }

  /** Opens (and recovers) the tree stored in `dir`. Use openSnapshotter to pick the kind. */
  static async open(name: SnapshotterName, dir: string, opts: SnapshotTreeOptions = {}): Promise<SnapshotTree> {
    const t = new SnapshotTree(name, dir, opts);
    // Recovery reads every record: on a cached rebuild of a large root it would cost more than
    // the build. It is needed only when a process that had the tree open ended without closing
    // it, which the owner file it left behind says (named by pid, holding the process's
    // identity, so a later process with the same pid is not taken for it), or on a root from
    // before owner files; the first open after that recovers.
    const owners = await readdir(t.paths.owners).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    for (const d of [t.paths.meta, t.paths.dirs, t.paths.mnt, t.paths.empty, t.paths.owners]) await mkdir(d, { recursive: true });
    const dead: string[] = [];
    for (const name of owners ?? []) {
      const identity = await readFile(join(t.paths.owners, name), 'utf8').catch(() => '');
      if (identity === '' || processIdentity(Number(name)) !== identity) dead.push(name);
    }
    await writeFile(join(t.paths.owners, String(process.pid)), processIdentity(process.pid) ?? '');
    if (owners === undefined || dead.length > 0) {
      await t.#recover();
      // Our own pid's file was just rewritten: it is ours now.
      for (const name of dead) if (name !== String(process.pid)) await rm(join(t.paths.owners, name), { force: true });
    }
    return t;
  }

  async #recover(): Promise<void> {
    // Directories first: a directory seen here had its record written before it was created,
    // so a live process's work is never mistaken for garbage.
    const ids = await readdir(this.paths.dirs);
    for (const name of await readdir(this.paths.mnt)) {
      if (isAlive(Number(name.split('-')[0]))) continue;
      const m = join(this.paths.mnt, name);
      for (const mp of await mountsUnder(m)) await unmount(mp);
      await rmdir(m).catch(() => {});
    }
    let records = await this.#store.all(true);
    for (const r of records) {
      if (r.kind !== 'committed' && !isAlive(r.pid)) {
        if (r.kind === 'active') for (const mp of await mountsUnder(this.paths.dir(r.id))) await unmount(mp);
        await this.#store.delete(r.key);
      }
    }
    records = await this.#store.all(true);
    // A committed record is trusted only if every directory it names exists.
    const present = new Set(await readdir(this.paths.dirs));
    let dropped = true;
    while (dropped) {
      dropped = false;
      for (const r of records) {
        const need = [r.id, ...r.layers.flatMap((l) => [l.id, l.base ?? ''])].filter((x) => x !== '');
        const parentMissing = r.parent !== undefined && !records.some((p) => p.key === r.parent);
        if (need.some((id) => !present.has(id)) || parentMissing) {
          await this.#store.delete(r.key);
          records = records.filter((x) => x !== r);
          dropped = true;
          break;
        }
      }
    }
    const referenced = this.#referenced(records);
    for (const id of ids) if (!referenced.has(id)) await this.#removeDir(id);
  }

  #referenced(records: readonly SnapshotRecord[]): Set<string> {
    const s = new Set<string>();
    for (const r of records) {
      if (r.id !== '') s.add(r.id);
      for (const l of r.layers) {
        s.add(l.id);
        if (l.base) s.add(l.base);
      }
    }
    return s;
  }

  async #removeDir(id: string): Promise<void> {
    const d = this.paths.dir(id);
    for (const mp of await mountsUnder(d)) await unmount(mp);
    await rm(d, { recursive: true, force: true });
  }

  async #get(key: string, kind?: SnapshotRecord['kind']): Promise<SnapshotRecord> {
    const r = await this.#store.get(key);
    if (!r) throw new SnapshotError(`snapshot ${JSON.stringify(key)} does not exist`);
    if (kind && r.kind !== kind) throw new SnapshotError(`snapshot ${JSON.stringify(key)} is ${r.kind}, not ${kind}`);
    return r;
  }

  async #create(rec: SnapshotRecord): Promise<void> {
    if (rec.kind !== 'committed') this.#mine.add(rec.key);
    try {
      await this.#store.create(rec);
    } catch (e) {
      if (e instanceof RecordExistsError) throw new SnapshotError(e.message);
      throw e;
    }
  }

  #base(key: string, kind: SnapshotRecord['kind'], id: string, parent: SnapshotRecord | undefined, internal = false): SnapshotRecord {
    return {
      v: RECORD_VERSION,
      key,
      kind,
      id,
      ...(parent ? { parent: parent.key } : {}),
      layers: parent?.layers ?? [],
      ...(kind !== 'committed' ? { pid: process.pid } : {}),
      created: new Date().toISOString(),
      ...(internal ? { internal: true } : {}),
    };
  }

  async prepare(key: string, parent?: string, internal = false): Promise<SnapshotInfo> {
    const p = parent !== undefined ? await this.#get(parent, 'committed') : undefined;
    const rec = this.#base(key, 'active', newId(), p, internal);
    await this.#create(rec);
    try {
      await this.#driver.createActive(rec.id, p);
    } catch (e) {
      await this.#removeDir(rec.id);
      await this.#store.delete(key);
      throw e;
    }
    return info(rec);
  }

  async view(key: string, parent?: string): Promise<SnapshotInfo> {
    const p = parent !== undefined ? await this.#get(parent, 'committed') : undefined;
    const rec = this.#base(key, 'view', p?.id ?? '', p);
    await this.#create(rec);
    return info(rec);
  }

  async commit(activeKey: string, key?: string): Promise<string> {
    const rec = await this.#get(activeKey, 'active');
    const committedKey = key ?? `committed-${newId()}`;
    if (await this.#store.get(committedKey)) throw new SnapshotError(`snapshot ${JSON.stringify(committedKey)} already exists`);
    await this.#driver.freeze(rec);
    await this.#opts.onCommitStep?.('frozen');
    // Usage and whiteouts are measured on first need (#measured), not here: walking a fresh
    // 20,000-file COPY again costs about as much CPU as committing it, for numbers only
    // `du`, gc and reads of a parentless layer ever look at.
    await this.#opts.onCommitStep?.('measured');
    const parent = rec.parent !== undefined ? await this.#get(rec.parent, 'committed') : undefined;
    const layer: LayerRef = this.name === 'native' && parent ? { id: rec.id, base: parent.id } : { id: rec.id };
    const committed: SnapshotRecord = {
      v: RECORD_VERSION,
      key: committedKey,
      kind: 'committed',
      id: rec.id,
      ...(rec.parent !== undefined ? { parent: rec.parent } : {}),
      layers: [...rec.layers, layer],
      created: new Date().toISOString(),
    };
    await this.#create(committed);
    await this.#opts.onCommitStep?.('recorded');
    await this.#store.delete(activeKey);
    return committedKey;
  }

  async remove(key: string): Promise<void> {
    const rec = await this.#get(key);
    const all = await this.#store.all();
    const child = all.find((r) => r.parent === key && r.key !== key);
    if (child) throw new SnapshotError(`cannot remove snapshot ${JSON.stringify(key)}: ${JSON.stringify(child.key)} is based on it`);
    await this.#driver.release(rec);
    await this.#store.delete(key);
    const referenced = this.#referenced(all.filter((r) => r.key !== key));
    const candidates = [rec.id, ...rec.layers.flatMap((l) => [l.id, l.base ?? ''])];
    for (const id of new Set(candidates)) if (id !== '' && !referenced.has(id)) await this.#removeDir(id);
  }

  async mounts(key: string): Promise<Mount[]> {
    return this.#driver.mounts(await this.#get(key));
  }

  async usage(key: string): Promise<Usage> {
    const rec = await this.#get(key);
    if (rec.kind === 'committed') return (await this.#measured(rec)).usage ?? { size: 0, inodes: 0 };
    if (rec.kind === 'view') return { size: 0, inodes: 0 };
    const m = await measure(this.paths.fs(rec.id));
    return { size: m.size, inodes: m.inodes };
  }

  async stat(key: string): Promise<SnapshotInfo | undefined> {
    const r = await this.#store.get(key);
    return r ? info(r) : undefined;
  }

  async list(): Promise<SnapshotInfo[]> {
    return (await this.#store.all()).filter((r) => !r.internal).map(info);
  }

  async activeDir(key: string): Promise<string> {
    return this.#driver.activeDir(await this.#get(key, 'active'));
  }

  async newSubtreeDir(key: string, path: string): Promise<string | undefined> {
    const found = await this.#lowerLookup(key, path);
    if (found?.entry.kind !== 'absent') return undefined;
    const { upper } = found;
    const ancestors = found.entry.ancestors;
    // The kernel copies a directory up (same mode and owner) before it creates a name in it, and
    // restores the times of directories it copied up only to reach a deeper one. Do the same:
    // make every ancestor, then set times deepest first (so making a child does not change them);
    // the write that follows changes the last one's times, as it would through the mount.
    // Extended attributes of those directories are not carried over.
    const made: (typeof ancestors)[number][] = [];
    for (const a of ancestors) {
      const dst = join(upper, a.rel);
      const existing = await lstat(dst).catch(() => undefined);
      if (existing) {
        if (!existing.isDirectory()) return undefined;
        continue;
      }
      await mkdir(dst);
      await chown(dst, a.st.uid, a.st.gid);
      await chmod(dst, a.st.mode & 0o7777);
      made.push(a);
    }
    for (const a of made.reverse()) await utimes(join(upper, a.rel), a.st.atime, a.st.mtime);
    return upper;
  }

  async hasLowerDirectory(key: string, path: string): Promise<boolean> {
    const found = await this.#lowerLookup(key, path);
    return found?.entry.kind === 'found' && !found.entry.mayBeHidden && found.entry.st.isDirectory();
  }

  /** For an unmounted active overlay snapshot: what its lower layers show at `path`. */
  async #lowerLookup(key: string, path: string): Promise<{ upper: string; entry: LayeredEntry } | undefined> {
    if (this.name !== 'overlayfs') return undefined;
    const rec = await this.#store.get(key);
    if (rec?.kind !== 'active' || (await isMountPoint(this.paths.merged(rec.id)))) return undefined;
    // Top layer first: the first layer holding a name is the one the merged view shows.
    const lowers = dedupeLayers(rec.layers)
      .map((l) => this.paths.fs(l.id))
      .reverse();
    const entry = await lookupInLayers(lowers, path);
    return entry.kind === 'unsure' ? undefined : { upper: this.paths.fs(rec.id), entry };
  }

  async ownLayerDir(key: string): Promise<string | undefined> {
    if (this.name !== 'overlayfs') return undefined;
    const rec = await this.#store.get(key);
    const own = rec?.layers[rec.layers.length - 1];
    if (rec?.kind !== 'committed' || rec.id === '' || own?.id !== rec.id) return undefined;
    return this.paths.fs(rec.id);
  }

  async readable(key: string): Promise<ReadableDir> {
    let rec = await this.#get(key);
    // A parentless layer with no whiteouts is read in place (no mount): count them once.
    if (rec.kind === 'committed' && rec.layers.length === 1 && rec.whiteouts === undefined) rec = await this.#measured(rec);
    return this.#driver.readable(rec);
  }

  /**
   * The committed record with its usage and whiteout count, measured now and remembered in the
   * record when a commit left them out. A record deleted meanwhile is not brought back.
   */
  async #measured(rec: SnapshotRecord): Promise<SnapshotRecord> {
    if ((rec.usage !== undefined && rec.whiteouts !== undefined) || rec.id === '') return rec;
    const m = await measure(this.paths.fs(rec.id));
    const full: SnapshotRecord = { ...rec, usage: { size: m.size, inodes: m.inodes }, whiteouts: m.whiteouts };
    if (await this.#store.get(rec.key)) await this.#store.replace(full).catch(() => {});
    return full;
  }

  diff(key: string): Readable {
    return Readable.from(this.#diffTar(key), { objectMode: false });
  }

  async *#diffTar(key: string): AsyncGenerator<Buffer | Uint8Array | string> {
    const rec = await this.#get(key, 'committed');
    const parent = rec.parent !== undefined ? await this.#get(rec.parent, 'committed') : undefined;
    const below = parent?.layers ?? [];
    if (rec.layers.length === below.length + 1 && isPrefix(below, rec.layers)) {
      yield* this.#driver.layerTar(rec.layers[rec.layers.length - 1]!);
      return;
    }
    // A merge or reused diff over its parent: compare the two trees.
    const lower = parent ? await this.#driver.readable(parent) : { path: this.paths.empty, release: async () => {} };
    const upper = await this.#driver.readable(rec);
    try {
      yield* writeLayer(treeDiffChanges(lower.path, upper.path));
    } finally {
      await upper.release();
      await lower.release();
    }
  }

  layerDir(layer: LayerRef): string | undefined {
    return this.name === 'overlayfs' ? this.paths.fs(layer.id) : undefined;
  }

  layerTar(layer: LayerRef): Readable {
    const src = this.#driver.layerTar(layer);
    return src instanceof Readable ? src : Readable.from(src, { objectMode: false });
  }

  async applyTar(tar: AsyncIterable<Buffer | Uint8Array | string>, parent?: string, key?: string): Promise<{ key: string; result: ApplyResult }> {
    const activeKey = `apply-${newId()}`;
    await this.prepare(activeKey, parent, true);
    let result: ApplyResult;
    try {
      result = await this.#driver.applyTar(await this.#get(activeKey, 'active'), tar);
    } catch (e) {
      await this.remove(activeKey).catch(() => {});
      throw e;
    }
    return { key: await this.commit(activeKey, key), result };
  }

  /** Runs `build(id)` under an internal active record, then replaces it with `final(id)`. */
  async #build(build: (id: string) => Promise<Omit<SnapshotRecord, 'v' | 'created' | 'kind'>>): Promise<string> {
    const id = newId();
    const tmpKey = `build-${id}`;
    await this.#create(this.#base(tmpKey, 'active', id, undefined, true));
    try {
      const fields = await build(id);
      const rec: SnapshotRecord = { v: RECORD_VERSION, kind: 'committed', created: new Date().toISOString(), ...fields };
      await this.#create(rec);
      await this.#store.delete(tmpKey);
      if (rec.id !== id) await this.#removeDir(id);
      return rec.key;
    } catch (e) {
      await this.#store.delete(tmpKey);
      await this.#removeDir(id);
      throw e;
    }
  }

  async merge(keys: readonly string[], key?: string): Promise<string> {
    const recs = await Promise.all(keys.map((k) => this.#get(k, 'committed')));
    const finalKey = key ?? `merge-${newId()}`;
    if (await this.#store.get(finalKey)) throw new SnapshotError(`snapshot ${JSON.stringify(finalKey)} already exists`);
    const layers = recs.flatMap((r) => r.layers);
    return this.#build(async (id) => {
      const own = await this.#driver.buildFromLayers(id, layers, recs[0]);
      const m = own !== '' ? await measure(this.paths.fs(own)) : { size: 0, inodes: 0, whiteouts: 0 };
      return { key: finalKey, id: own, layers, usage: { size: m.size, inodes: m.inodes }, whiteouts: m.whiteouts };
    });
  }

  async diffSnapshots(lower: string | undefined, upper: string, key?: string): Promise<string> {
    const l = lower !== undefined ? await this.#get(lower, 'committed') : undefined;
    const u = await this.#get(upper, 'committed');
    const finalKey = key ?? `diff-${newId()}`;
    if (await this.#store.get(finalKey)) throw new SnapshotError(`snapshot ${JSON.stringify(finalKey)} already exists`);
    const below = l?.layers ?? [];
    if (isPrefix(below, u.layers)) {
      const layers = u.layers.slice(below.length);
      return this.#build(async (id) => {
        const own = await this.#driver.buildFromLayers(id, layers);
        const m = own !== '' ? await measure(this.paths.fs(own)) : { size: 0, inodes: 0, whiteouts: 0 };
        return { key: finalKey, id: own, layers, usage: { size: m.size, inodes: m.inodes }, whiteouts: m.whiteouts };
      });
    }
    return this.#build(async (id) => {
      const lo = l ? await this.#driver.readable(l) : { path: this.paths.empty, release: async () => {} };
      const up = await this.#driver.readable(u);
      try {
        const { layer, whiteouts } = await this.#driver.newLayer(id, writeLayer(treeDiffChanges(lo.path, up.path)));
        const m = await measure(this.paths.fs(id));
        return { key: finalKey, id, layers: [layer], usage: { size: m.size, inodes: m.inodes }, whiteouts };
      } finally {
        await up.release();
        await lo.release();
      }
    });
  }

  async close(): Promise<void> {
    for (const key of this.#mine) {
      const r = await this.#store.get(key);
      if (r?.kind === 'active' && r.pid === process.pid) await this.#driver.release(r);
    }
    this.#mine.clear();
    await rm(join(this.paths.owners, String(process.pid)), { force: true });
  }
}
