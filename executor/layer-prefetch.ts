// Layers written while the build goes on. An image export writes each of the build's own layers
// (the tar of a step's changes, hashed into the content store) once the build is over. The steps
// on a target's base chain make exactly those layers, and most steps leave a core idle (a RUN of
// a single-threaded tool, a COPY waiting on the disk), so each such step's layer is written as
// soon as the step is committed, while the next one runs; the export then finds its blobs made.
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

/** `inner`, with the results of the chain's steps handed to `prefetch` as soon as they exist. */
export function prefetchingResolver(inner: OpResolver, chain: ReadonlyMap<Digest, ReadonlySet<number>>, prefetch: (result: Result) => void): OpResolver {
  return {
    loadResult: (id) => inner.loadResult(id),
    resolve(vertex: Vertex): Op {
      const op = inner.resolve(vertex);
      const outputs = chain.get(vertex.digest);
      if (!outputs) return op;
      return {
        cacheMap: (ctx: OpContext) => op.cacheMap(ctx),
        async exec(ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
          const results = await op.exec(ctx, inputs);
          for (const o of outputs) if (results[o]) prefetch(results[o]);
          return results;
        },
        ...(op.acquire ? { acquire: (signal: AbortSignal) => op.acquire!(signal) } : {}),
      };
    },
  };
}
