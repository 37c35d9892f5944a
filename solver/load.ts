// Loads already-decoded LLB into the solver's vertex graph: one vertex per digest (also across
// several targets loaded together), every input resolved, no cycles. Decoding bytes is llb's job
// (see load-definition.ts); this file only validates and links.
import type { Digest, Input as PbInput, Op as PbOp, OpMetadata } from '../llb/index.ts';
import { GraphError } from './graph-error.ts';
import type { Vertex, VertexInput } from './types.ts';
import { vertexName } from './vertex-name.ts';

/** One decoded op of a definition. */
export interface LoadOp {
  readonly digest: Digest;
  readonly op: PbOp;
  readonly metadata?: OpMetadata | undefined;
}

/**
 * A decoded definition: its ops (any order) and the output it asks for (BuildKit's terminal op
 * input). Without a terminal the definition is empty (scratch): a target with nothing to build.
 */
export interface LoadInput {
  readonly ops: readonly LoadOp[];
  readonly terminal: PbInput | undefined;
}

export interface SolveGraph {
  readonly vertices: ReadonlyMap<Digest, Vertex>;
  /** Every vertex reachable from a target, each after all of its inputs. */
  readonly order: readonly Vertex[];
  /** One per LoadInput, in the order given; undefined for an empty one (scratch). */
  readonly targets: readonly (VertexInput | undefined)[];
}

interface Pending {
  op: PbOp;
  metadata: OpMetadata;
  inputs: Digest[];
}

/**
 * Builds the graph of one or several definitions. Identical ops (same digest) become one
 * vertex. When they carry different metadata, `ignoreCache` wins if any asks for it (a vertex
 * one target wants fresh must not be served from cache to it) and the first name is kept.
 */
export function loadGraph(input: LoadInput | readonly LoadInput[]): SolveGraph {
  const inputs: readonly LoadInput[] = isLoadInputList(input) ? input : [input];
  const pending = new Map<Digest, Pending>();
  const terminals: (PbInput | undefined)[] = [];

  inputs.forEach((def, defIndex) => {
    const where = inputs.length > 1 ? ` (target ${defIndex + 1})` : '';
    const local = new Set(def.ops.map((o) => o.digest));
    for (const { digest, op, metadata } of def.ops) {
      const deps = (op.inputs ?? []).map((i) => i.digest);
      for (const dep of deps) {
        if (!local.has(dep)) {
          throw new GraphError(
            'dangling-input',
            `vertex ${digest}${where} uses input ${dep}, which is not in the definition; the definition is incomplete or was edited by hand — re-create it from its source`,
            digest,
          );
        }
      }
      const seen = pending.get(digest);
      if (seen) {
        if (metadata?.ignoreCache && !seen.metadata.ignoreCache) seen.metadata = { ...seen.metadata, ignoreCache: true };
      } else {
        pending.set(digest, { op, metadata: metadata ?? {}, inputs: deps });
      }
    }
    if (def.terminal && !local.has(def.terminal.digest)) {
      throw new GraphError(
        'missing-terminal',
        `the definition${where} asks for ${def.terminal.digest}, which is not one of its ops; re-create the definition`,
        def.terminal.digest,
      );
    }
    terminals.push(def.terminal);
  });

  const vertices = new Map<Digest, Vertex>();
  const order: Vertex[] = [];
  const visiting = new Set<Digest>();

  // Iterative post-order DFS: deep chains (thousands of steps) must not exhaust the stack.
  for (const terminal of terminals) {
    if (!terminal || vertices.has(terminal.digest)) continue;
    const stack: { digest: Digest; next: number }[] = [{ digest: terminal.digest, next: 0 }];
    visiting.add(terminal.digest);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const node = pending.get(frame.digest)!;
      if (frame.next < node.inputs.length) {
        const dep = node.inputs[frame.next++]!;
        if (vertices.has(dep)) continue;
        if (visiting.has(dep)) {
          const from = stack.findIndex((f) => f.digest === dep);
          const cycle = [...stack.slice(from).map((f) => describe(f.digest, pending)), describe(dep, pending)];
          throw new GraphError('cycle', `the graph has a cycle: ${cycle.join(' → ')}; a vertex cannot depend on its own output`, dep);
        }
        visiting.add(dep);
        stack.push({ digest: dep, next: 0 });
        continue;
      }
      stack.pop();
      visiting.delete(frame.digest);
      const vertex: Vertex = Object.freeze({
        digest: frame.digest,
        op: node.op,
        metadata: node.metadata,
        name: vertexName(node.op, node.metadata),
        inputs: Object.freeze((node.op.inputs ?? []).map((i) => Object.freeze({ vertex: vertices.get(i.digest)!, index: i.index ?? 0 }))),
      });
      vertices.set(frame.digest, vertex);
      order.push(vertex);
    }
  }

  return {
    vertices,
    order,
    targets: terminals.map((t) => (t ? Object.freeze({ vertex: vertices.get(t.digest)!, index: t.index ?? 0 }) : undefined)),
  };
}

function isLoadInputList(input: LoadInput | readonly LoadInput[]): input is readonly LoadInput[] {
  return Array.isArray(input);
}

function describe(digest: Digest, pending: Map<Digest, Pending>): string {
  const p = pending.get(digest);
  const name = p ? vertexName(p.op, p.metadata) : '?';
  return `"${name}" (${digest.slice(0, 19)})`;
}
