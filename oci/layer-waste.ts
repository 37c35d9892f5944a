// Bytes an image ships for nothing. Layers only add: a file written by one layer and deleted or
// replaced by a later one is still in the earlier layer's tar. Stacking the layers' listings
// (no file contents needed) tells, per layer, what it added, changed and deleted, and which
// earlier layer's bytes each deletion or overwrite made dead.
//
// Totals follow dive's definitions:
// - an occurrence of a path is a layer's entry for it (directories, which hold no bytes, are
//   not counted); a whiteout is an occurrence of each path it deletes, sized as what it deletes
//   (a deleted directory: one occurrence per file below it);
// - wasted bytes: the sizes of all occurrences of every path that occurs in more than one layer;
// - efficiency: Σ each path's smallest occurrence over Σ all its occurrences (1 when empty).
import type { LayerFiles } from './layer/index.ts';

export interface LayerSummary {
  /** Paths new in this layer (files, links, special files; not directories). */
  readonly added: number;
  /** Paths a lower layer had that this layer writes again. */
  readonly changed: number;
  /** Paths of lower layers this layer deletes (whiteouts, opaque directories, replaced directories). */
  readonly deleted: number;
  /** Content bytes of the layer's regular files. */
  readonly bytes: number;
}

/** Layer `layer` deletes or overwrites bytes that layer `from` (lower) added. */
export interface DeadBytes {
  readonly layer: number;
  readonly from: number;
  readonly deletedBytes: number;
  readonly overwrittenBytes: number;
  /** A few of the paths, largest first, for messages. */
  readonly paths: readonly string[];
}

export interface InefficientPath {
  readonly path: string;
  /** How many layers have an entry for it (a whiteout included). */
  readonly count: number;
  /** Sum of its occurrences' sizes. */
  readonly bytes: number;
}

export interface WasteAnalysis {
  readonly layers: readonly LayerSummary[];
  /** Σ content bytes of every layer's files. */
  readonly sizeBytes: number;
  readonly wastedBytes: number;
  readonly efficiency: number;
  /** Largest first. */
  readonly inefficientPaths: readonly InefficientPath[];
  /** Per (later layer, lower layer) pair with dead bytes, in layer order. */
  readonly dead: readonly DeadBytes[];
}

interface Node {
  children?: Map<string, Node>;
  size: number;
  layer: number;
}

interface Occurrences {
  count: number;
  sum: number;
  min: number;
}

const MAX_PATHS = 3;

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

class Stack {
  readonly root: Node = { children: new Map(), size: 0, layer: -1 };
  readonly occurrences = new Map<string, Occurrences>();
  readonly dead = new Map<string, { layer: number; from: number; deleted: number; overwritten: number; paths: { path: string; size: number }[] }>();

  occur(path: string, size: number): void {
    const o = this.occurrences.get(path);
    if (o) {
      o.count++;
      o.sum += size;
      o.min = Math.min(o.min, size);
    } else this.occurrences.set(path, { count: 1, sum: size, min: size });
  }

  kill(layer: number, from: number, path: string, size: number, how: 'deleted' | 'overwritten'): void {
    if (from < 0 || from >= layer) return;
    const key = `${layer}:${from}`;
    let d = this.dead.get(key);
    if (!d) this.dead.set(key, (d = { layer, from, deleted: 0, overwritten: 0, paths: [] }));
    d[how] += size;
    if (size > 0) d.paths.push({ path, size });
  }

  /** The node at `path`, and its parent; creates missing directories when `make`. */
  find(path: string, make: number | undefined): { parent: Node; name: string; node: Node | undefined } | undefined {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) return undefined;
    let dir = this.root;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      let next = dir.children?.get(p);
      if (!next || !next.children) {
        if (make === undefined) return undefined;
        // A file where a directory is needed: the tar replaces it (the file's bytes die).
        if (next) this.#replaced(make, parts.slice(0, k + 1).join('/'), next);
        next = { children: new Map(), size: 0, layer: make };
        (dir.children ??= new Map()).set(p, next);
      }
      dir = next;
    }
    return { parent: dir, name, node: dir.children?.get(name) };
  }

  #replaced(layer: number, path: string, node: Node): void {
    for (const [p, leaf] of leaves(path, node, () => true)) {
      this.occur(p, leaf.size);
      this.kill(layer, leaf.layer, p, leaf.size, 'deleted');
    }
  }

  /** Deletes what `path` holds from lower layers; returns how many paths went. */
  remove(layer: number, path: string, below: (n: Node) => boolean): number {
    const at = this.find(path, undefined);
    if (!at?.node) {
      this.occur(path, 0);
      return 0;
    }
    let n = 0;
    for (const [p, leaf] of leaves(path, at.node, below)) {
      this.occur(p, leaf.size);
      this.kill(layer, leaf.layer, p, leaf.size, 'deleted');
      n++;
    }
    prune(at.node, below);
    if (below(at.node) && (!at.node.children || at.node.children.size === 0)) at.parent.children!.delete(at.name);
    return n;
  }
}

function* leaves(path: string, node: Node, keep: (n: Node) => boolean): Generator<[string, Node]> {
  if (!node.children) {
    if (keep(node)) yield [path, node];
    return;
  }
  for (const [name, child] of node.children) yield* leaves(`${path}/${name}`, child, keep);
}

/** Drops the matching leaves below `node`, and directories left empty that match too. */
function prune(node: Node, match: (n: Node) => boolean): void {
  if (!node.children) return;
  for (const [name, child] of node.children) {
    if (child.children) {
      prune(child, match);
      if (child.children.size === 0 && match(child)) node.children.delete(name);
    } else if (match(child)) node.children.delete(name);
  }
}

/** Stacks the layers' listings, bottom first. */
export function analyzeWaste(layers: readonly LayerFiles[]): WasteAnalysis {
  const stack = new Stack();
  const summaries: LayerSummary[] = [];
  layers.forEach((files, i) => {
    let added = 0;
    let changed = 0;
    let deleted = 0;
    let bytes = 0;
    const lower = (n: Node) => n.layer < i;
    for (const e of files.entries) {
      switch (e.kind) {
        case 'whiteout':
          deleted += stack.remove(i, e.path, lower);
          break;
        case 'opaque': {
          const at = stack.find(e.path, undefined);
          if (at?.node?.children) for (const name of [...at.node.children.keys()]) deleted += stack.remove(i, `${e.path}/${name}`, lower);
          break;
        }
        case 'dir': {
          const at = stack.find(e.path, i);
          if (!at) break;
          if (at.node && !at.node.children) {
            deleted += stack.remove(i, e.path, lower);
            at.parent.children!.set(at.name, { children: new Map(), size: 0, layer: i });
          } else if (!at.node) at.parent.children!.set(at.name, { children: new Map(), size: 0, layer: i });
          break;
        }
        default: {
          bytes += e.size;
          const at = stack.find(e.path, i);
          if (!at) break;
          const old = at.node;
          if (old?.children) deleted += stack.remove(i, e.path, () => true);
          else if (old && old.layer < i) {
            changed++;
            stack.kill(i, old.layer, e.path, old.size, 'overwritten');
          } else if (!old) added++;
          stack.occur(e.path, e.size);
          at.parent.children!.set(at.name, { size: e.size, layer: i });
        }
      }
    }
    summaries.push({ added, changed, deleted, bytes });
  });
  let wastedBytes = 0;
  let minSum = 0;
  let allSum = 0;
  const inefficientPaths: InefficientPath[] = [];
  for (const [path, o] of stack.occurrences) {
    minSum += o.min;
    allSum += o.sum;
    if (o.count > 1) {
      wastedBytes += o.sum;
      inefficientPaths.push({ path, count: o.count, bytes: o.sum });
    }
  }
  inefficientPaths.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
  const dead = [...stack.dead.values()]
    .filter((d) => d.deleted + d.overwritten > 0)
    .sort((a, b) => a.layer - b.layer || a.from - b.from)
    .map((d): DeadBytes => ({
      layer: d.layer,
      from: d.from,
      deletedBytes: d.deleted,
      overwrittenBytes: d.overwritten,
      paths: d.paths
        .sort((a, b) => b.size - a.size)
        .slice(0, MAX_PATHS)
        .map((p) => p.path),
    }));
  return {
    layers: summaries,
    sizeBytes: summaries.reduce((s, l) => s + l.bytes, 0),
    wastedBytes,
    efficiency: allSum === 0 ? 1 : minSum / allSum,
    inefficientPaths,
    dead,
  };
}
