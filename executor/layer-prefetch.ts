// Layers written while the build goes on. An image export writes each of the build's own layers
// (the tar of a step's changes, hashed into the content store) once the build is over. The steps
// on a target's base chain make exactly those layers, and a long step often leaves a core idle (a
// RUN of a single-threaded tool, a COPY waiting on the disk), so the layers of finished steps are
// written while it runs; the export then finds their blobs made. Only while the build is quiet
// (no step has finished for a moment): steps that follow each other quickly, a chain of one-line
// RUNs, would only have their runtime start-up compete with the writes, which the export does
// anyway.
import { opKind, type Digest } from '../llb/index.ts';
import type { Op, OpContext, OpResolver, Result, Vertex } from '../solver/index.ts';
import { planFileActions } from './fileop/index.ts';

export interface ChainTarget {
  readonly vertex: Vertex;
  readonly index: number;
}

/**
 * The steps whose own layer an image of `targets` holds, by vertex digest and output: from each
 * target down its base (an exec's root mount, a file op's first input, every input of a merge).
 * A source's layers are its image's blobs already; a diff's layer is not its inputs'.
 */
export function baseChain(targets: readonly ChainTarget[]): Map<Digest, Set<number>> {
  const chain = new Map<Digest, Set<number>>();
  const visit = (vertex: Vertex, output: number): void => {
    const seen = chain.get(vertex.digest);
    if (seen?.has(output)) return;
    const kind = opKind(vertex.op);
    if (kind !== 'exec' && kind !== 'file' && kind !== 'merge') return;
    if (kind !== 'merge') {
      if (seen) seen.add(output);
      else chain.set(vertex.digest, new Set([output]));
    }
    for (const { input, output: out } of baseInputs(vertex, output)) {
      const next = vertex.inputs[input];
      if (next) visit(next.vertex, next.index ?? out);
    }
  };
  for (const t of targets) visit(t.vertex, t.index);
  return chain;
}

/** The inputs an op's output is built on (their index in the vertex's inputs). */
function baseInputs(vertex: Vertex, output: number): { input: number; output: number }[] {
  const op = vertex.op;
  if (op.exec) {
    const root = (op.exec.mounts ?? []).find((m) => m.dest === '/' && (m.output ?? 0) === output);
    return root && (root.input ?? 0) >= 0 ? [{ input: root.input ?? 0, output: 0 }] : [];
  }
  if (op.file) {
    try {
      const plan = planFileActions(op.file.actions ?? [], vertex.inputs.length);
      return plan.base >= 0 ? [{ input: plan.base, output: 0 }] : [];
    } catch {
      return []; // an invalid op fails when it runs, not here
    }
  }
  if (op.merge) return (op.merge.inputs ?? []).filter((m) => (m.input ?? 0) >= 0).map((m) => ({ input: m.input ?? 0, output: 0 }));
  return [];
}

/** A resolver whose layer writes still queued can be started at once (when the solve is over). */
export interface PrefetchingResolver extends OpResolver {
  flush(): void;
}

/** What the prefetching resolver tells: results of the chain, and file ops at work. */
export interface PrefetchSink {
  add(result: Result): void;
  /** A file op starts; the returned function is called when it is done. */
  busy(): () => void;
}

/**
 * `inner`, with the results of the chain's steps handed to the sink as soon as they exist, and
 * every file op's run reported: a copy creating many files and a layer write in the background
 * slow each other down (the same disk, the same journal), so no write starts during one.
 */
export function prefetchingResolver(inner: OpResolver, chain: ReadonlyMap<Digest, ReadonlySet<number>>, sink: PrefetchSink): OpResolver {
  return {
    loadResult: (id) => inner.loadResult(id),
    resolve(vertex: Vertex): Op {
      const op = inner.resolve(vertex);
      const outputs = chain.get(vertex.digest);
      const isFile = opKind(vertex.op) === 'file';
      if (!outputs && !isFile) return op;
      return {
        cacheMap: (ctx: OpContext) => op.cacheMap(ctx),
        async exec(ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
          const done = isFile ? sink.busy() : undefined;
          let results: Result[];
          try {
            results = await op.exec(ctx, inputs);
          } finally {
            done?.();
          }
          for (const o of outputs ?? []) if (results[o]) sink.add(results[o]);
          return results;
        },
        ...(op.acquire ? { acquire: (signal: AbortSignal) => op.acquire!(signal) } : {}),
      };
    },
  };
}

/** How long no step must have finished before queued layers are written. */
export const QUIET_MS = 150;

/**
 * Queues finished steps' results and writes their layers once the build has been quiet for
 * `quietMs` with no file op at work.
 */
export class LayerPrefetcher {
  readonly #write: (result: Result) => Promise<void>;
  readonly #quietMs: number;
  readonly #running = new Set<Promise<void>>();
  #queue: Result[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = 0;
  #closed = false;

  constructor(write: (result: Result) => Promise<void>, quietMs = QUIET_MS) {
    this.#write = write;
    this.#quietMs = quietMs;
  }

  add(result: Result): void {
    if (this.#closed) return;
    this.#queue.push(result);
    this.#arm();
  }

  /** Holds queued writes back until every file op reported here is done. */
  busy(): () => void {
    this.#busy++;
    clearTimeout(this.#timer);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#busy--;
      this.#arm();
    };
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#closed || this.#busy > 0 || this.#queue.length === 0) return;
    this.#timer = setTimeout(() => this.#start(), this.#quietMs);
    this.#timer.unref();
  }

  /** Starts what is queued now (the build is over: its export waits for these anyway). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#start();
  }

  #start(): void {
    this.#timer = undefined;
    for (const r of this.#queue.splice(0)) {
      // The export writes a layer whose early write failed itself, and reports the error then.
      const p: Promise<void> = this.#write(r)
        .catch(() => {})
        .finally(() => this.#running.delete(p));
      this.#running.add(p);
    }
  }

  /** Drops what is still queued and waits for the writes under way (they read snapshots). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#queue = [];
    await Promise.all(this.#running);
  }
}
