// Definitions (bytes) → the solver's graph: llb decodes and checks each definition, load.ts links
// them into one deduplicated vertex graph.
import { decodeDefinition, DefinitionError, type Definition } from '../llb/index.ts';
import { GraphError } from './graph-error.ts';
import { loadGraph, type LoadInput, type SolveGraph } from './load.ts';

/** Loads one definition, or several solved together (vertices they share are one vertex). */
export function loadDefinitions(defs: Definition | readonly Definition[]): SolveGraph {
  const list: readonly Definition[] = Array.isArray(defs) ? defs : [defs as Definition];
  return loadGraph(list.map((def, i) => toLoadInput(def, list.length > 1 ? i : undefined)));
}

function toLoadInput(def: Definition, target: number | undefined): LoadInput {
  try {
    const decoded = decodeDefinition(def);
    return {
      ops: decoded.ops.map((o) => ({ digest: o.digest, op: o.op, metadata: o.metadata })),
      terminal: decoded.head,
    };
  } catch (err) {
    if (!(err instanceof DefinitionError)) throw err;
    const where = target === undefined ? 'the definition' : `definition ${target + 1}`;
    throw new GraphError(err.problem === 'cycle' ? 'cycle' : 'invalid-definition', `${where} cannot be loaded: ${err.message}`);
  }
}
