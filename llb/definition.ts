// Reading a Definition back: decode every op, name it by digest, and check that the ops form a
// graph the solver can run (every input present, no cycle, a terminal op last). Anything that
// fails is reported with the op's index in `def` and what is wrong, never a bare protobuf error.
import { DecodeError } from './pb/codec.ts';
import { decodeOp } from './pb/messages.ts';
import { digestOf } from './digest.ts';
import type { Definition, Digest, Input, Op, OpKind, OpMetadata, Source } from './pb/types.ts';

export type DefinitionProblem = 'truncated' | 'unknown-op-kind' | 'input-not-in-definition' | 'input-out-of-range' | 'cycle' | 'no-terminal-op';

/** A definition that cannot be loaded. `opIndex` is the position in `def` of the offending op. */
export class DefinitionError extends Error {
  override name = 'DefinitionError';
  readonly problem: DefinitionProblem;
  readonly opIndex: number | undefined;
  constructor(problem: DefinitionProblem, message: string, opIndex?: number) {
    super(opIndex === undefined ? message : `op ${opIndex}: ${message}`);
    this.problem = problem;
    this.opIndex = opIndex;
  }
}

export interface DecodedOp {
  /** Position in `Definition.def`. */
  readonly index: number;
  readonly digest: Digest;
  readonly kind: OpKind;
  readonly op: Op;
  readonly bytes: Uint8Array;
  readonly metadata: OpMetadata | undefined;
}

export interface DecodedDefinition {
  /** The ops in `def` order, without the terminal op, duplicates dropped. */
  readonly ops: readonly DecodedOp[];
  readonly byDigest: ReadonlyMap<Digest, DecodedOp>;
  /** The result: the terminal op's single input. Undefined for an empty definition (scratch). */
  readonly head: Input | undefined;
  /** Digest of the terminal op itself. */
  readonly terminalDigest: Digest | undefined;
  readonly metadata: Readonly<Record<string, OpMetadata>>;
  readonly source: Source | undefined;
}

const KINDS: readonly OpKind[] = ['exec', 'source', 'file', 'build', 'merge', 'diff', 'passthrough'];

export function opKind(op: Op): OpKind | undefined {
  return KINDS.find((k) => op[k] !== undefined);
}

/** Decodes and validates a definition. Throws DefinitionError. */
export function decodeDefinition(def: Definition): DecodedDefinition {
  const metadata = def.metadata ?? {};
  const entries = def.def ?? [];
  if (entries.length === 0) {
    return { ops: [], byDigest: new Map(), head: undefined, terminalDigest: undefined, metadata, source: def.source };
  }
  const decoded: { index: number; digest: Digest; op: Op; bytes: Uint8Array; unknown: number[] }[] = [];
  entries.forEach((bytes, index) => {
    const unknown: number[] = [];
    let op: Op;
    try {
      op = decodeOp(bytes, { unknownField: (path, id) => path === 'Op' && unknown.push(id) });
    } catch (err) {
      if (err instanceof DecodeError) throw new DefinitionError('truncated', `cannot decode op bytes: ${err.message}`, index);
      throw err;
    }
    decoded.push({ index, digest: digestOf(bytes), op, bytes, unknown });
  });

  const last = decoded[decoded.length - 1]!;
  const lastKind = opKind(last.op);
  if (lastKind !== undefined || (last.op.inputs?.length ?? 0) !== 1 || last.unknown.length > 0) {
    const what = lastKind
      ? `a ${lastKind} op`
      : last.unknown.length
        ? `an op of unknown kind (field ${last.unknown.join(', ')})`
        : `an op with ${last.op.inputs?.length ?? 0} inputs`;
    throw new DefinitionError(
      'no-terminal-op',
      `no terminal op: the last op is ${what}; a definition ends with an op that has no kind and exactly one input`,
      last.index,
    );
  }

  const ops: DecodedOp[] = [];
  const byDigest = new Map<Digest, DecodedOp>();
  for (const d of decoded.slice(0, -1)) {
    const kind = opKind(d.op);
    if (!kind) {
      const detail = d.unknown.length ? ` (unknown field ${d.unknown.join(', ')})` : ' (no exec, source, file, build, merge, diff or passthrough field)';
      throw new DefinitionError('unknown-op-kind', `unknown op kind${detail}`, d.index);
    }
    if (byDigest.has(d.digest)) continue;
    const op: DecodedOp = { index: d.index, digest: d.digest, kind, op: d.op, bytes: d.bytes, metadata: metadata[d.digest] };
    ops.push(op);
    byDigest.set(d.digest, op);
  }

  for (const d of [...ops, { index: last.index, op: last.op }]) {
    (d.op.inputs ?? []).forEach((inp, i) => {
      if (!byDigest.has(inp.digest)) {
        throw new DefinitionError('input-not-in-definition', `input ${i} digest ${inp.digest} is not in the definition`, d.index);
      }
    });
    checkInputIndexes(d.op, d.index);
  }
  checkAcyclic(ops.map((o) => ({ index: o.index, digest: o.digest, inputs: (o.op.inputs ?? []).map((i) => i.digest) })));

  return { ops, byDigest, head: last.op.inputs![0], terminalDigest: last.digest, metadata, source: def.source };
}

function checkInputIndexes(op: Op, index: number): void {
  const n = op.inputs?.length ?? 0;
  const check = (what: string, i: number | undefined, allowEmpty: boolean, limit = n) => {
    const v = i ?? 0;
    if ((allowEmpty && v === -1) || (v >= 0 && v < limit)) return;
    throw new DefinitionError('input-out-of-range', `${what} refers to input ${v}, but the op has ${n} input${n === 1 ? '' : 's'}`, index);
  };
  op.exec?.mounts?.forEach((m, i) => check(`mount ${i} (${m.dest ?? ''})`, m.input, true));
  op.merge?.inputs?.forEach((m, i) => check(`merge input ${i}`, m.input, false));
  if (op.diff) {
    check('diff lower', op.diff.lower?.input, true);
    check('diff upper', op.diff.upper?.input, true);
  }
  // File actions may also refer to the results of earlier actions: index n + k.
  op.file?.actions?.forEach((a, i) => {
    check(`file action ${i} input`, a.input, true, n + i);
    check(`file action ${i} secondary input`, a.secondaryInput, true, n + i);
  });
}

/** Throws DefinitionError('cycle') if the input edges among `nodes` contain a cycle. */
export function checkAcyclic(nodes: readonly { index: number; digest: string; inputs: readonly string[] }[]): void {
  const byDigest = new Map(nodes.map((n) => [n.digest, n]));
  const state = new Map<string, 1 | 2>(); // 1 visiting, 2 done
  for (const start of nodes) {
    if (state.has(start.digest)) continue;
    // Iterative DFS: graphs can be deep (thousands of chained RUNs).
    const stack: { node: (typeof nodes)[number]; next: number }[] = [{ node: start, next: 0 }];
    state.set(start.digest, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.node.inputs.length) {
        state.set(top.node.digest, 2);
        stack.pop();
        continue;
      }
      const dep = byDigest.get(top.node.inputs[top.next++]!);
      if (!dep) continue;
      const s = state.get(dep.digest);
      if (s === 1) throw new DefinitionError('cycle', `cycle: input ${dep.digest} depends on this op`, top.node.index);
      if (s === undefined) {
        state.set(dep.digest, 1);
        stack.push({ node: dep, next: 0 });
      }
    }
  }
}
