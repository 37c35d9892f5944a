// The vertices of a progress state: an immutable map from digest to vertex that costs O(log n) per
// change instead of a copy of every vertex. A plain build of 10,000 steps sends tens of thousands
// of events; copying the map on each made rendering it quadratic.
//
// Slots are numbered in order of first appearance (that order is the state's `order`); the
// vertex in each slot lives in a persistent 32-way trie, so a new table shares all but one path
// with the table it came from.
import type { Digest } from '../../llb/index.ts';
import { AppendList } from './append-list.ts';
import type { VertexState } from './state.ts';

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

type Trie = readonly (Trie | VertexState | undefined)[];

function trieGet(node: Trie, shift: number, i: number): VertexState | undefined {
  let n: Trie | undefined = node;
  for (let s = shift; s > 0 && n; s -= BITS) n = n[(i >>> s) & MASK] as Trie | undefined;
  return n?.[i & MASK] as VertexState | undefined;
}

function trieSet(node: Trie | undefined, shift: number, i: number, v: VertexState): Trie {
  const copy = node ? node.slice() : [];
  const slot = (i >>> shift) & MASK;
  copy[slot] = shift === 0 ? v : trieSet(copy[slot] as Trie | undefined, shift - BITS, i, v);
  return copy;
}

/**
 * Which digest holds which slot: shared, and appended to, by the tables of one history. A table
 * sees the slots below its size; one that grows when a newer table already did gets a copy.
 */
interface Slots {
  readonly index: Map<Digest, number>;
  readonly keys: Digest[];
}

export class VertexTable implements ReadonlyMap<Digest, VertexState> {
  static empty(): VertexTable {
    return new VertexTable({ index: new Map(), keys: [] }, AppendList.empty(), [], 0, 0);
  }

  readonly #slots: Slots;
  readonly #order: AppendList<Digest>;
  readonly #root: Trie;
  readonly #shift: number;
  readonly size: number;

  private constructor(slots: Slots, order: AppendList<Digest>, root: Trie, shift: number, size: number) {
    this.#slots = slots;
    this.#order = order;
    this.#root = root;
    this.#shift = shift;
    this.size = size;
  }

  /** Digests in order of first appearance. */
  get order(): AppendList<Digest> {
    return this.#order;
  }

  #slot(digest: Digest): number | undefined {
    const i = this.#slots.index.get(digest);
    return i !== undefined && i < this.size ? i : undefined;
  }

  get(digest: Digest): VertexState | undefined {
    const i = this.#slot(digest);
    return i === undefined ? undefined : trieGet(this.#root, this.#shift, i);
  }

  has(digest: Digest): boolean {
    return this.#slot(digest) !== undefined;
  }

  /** A table with `vertex` at its digest: in its old slot, or in a new last one. */
  set(vertex: VertexState): VertexTable {
    const known = this.#slot(vertex.digest);
    if (known !== undefined) return new VertexTable(this.#slots, this.#order, trieSet(this.#root, this.#shift, known, vertex), this.#shift, this.size);
    let slots = this.#slots;
    if (slots.keys.length !== this.size) {
      // Another table already grew from this one: this history forks and gets its own slots.
      const keys = slots.keys.slice(0, this.size);
      slots = { index: new Map(keys.map((d, i) => [d, i])), keys };
    }
    const i = this.size;
    slots.index.set(vertex.digest, i);
    slots.keys.push(vertex.digest);
    let root = this.#root;
    let shift = this.#shift;
    if (i > 0 && i >>> shift >= WIDTH) {
      root = [root];
      shift += BITS;
    }
    return new VertexTable(slots, this.#order.push(vertex.digest), trieSet(root, shift, i, vertex), shift, this.size + 1);
  }

  *entries(): MapIterator<[Digest, VertexState]> {
    let i = 0;
    for (const d of this.#order) yield [d, trieGet(this.#root, this.#shift, i++)!];
  }

  *keys(): MapIterator<Digest> {
    for (const [d] of this.entries()) yield d;
  }

  *values(): MapIterator<VertexState> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[Digest, VertexState]> {
    return this.entries();
  }

  forEach(fn: (value: VertexState, key: Digest, map: ReadonlyMap<Digest, VertexState>) => void): void {
    for (const [d, v] of this.entries()) fn(v, d, this);
  }
}
