// merge() stacks filesystems (later inputs win), diff() takes the changes between two. Both are
// structural ops: their layers can be reused as they are, which is what makes `COPY --link`
// rebaseable (DESIGN.md, "COPY --link and merged layers").
import { StateError } from './errors.ts';
import { EMPTY_INPUT, type DiffOp, type Input, type MergeInput } from './pb/types.ts';
import { opMetadata, propsOf, type MarshalContext, type MarshaledOp, type Node, type OpOptions, type Output } from './node.ts';
import { scratch } from './sources.ts';
import { State } from './state.ts';

class MergeNode implements Node {
  readonly inputs: readonly Output[];
  readonly #options: OpOptions | undefined;
  constructor(inputs: readonly Output[], options?: OpOptions) {
    this.inputs = inputs;
    this.#options = options;
  }
  marshal(ctx: MarshalContext): MarshaledOp {
    // Not deduplicated: merging the same layer twice is meaningful (BuildKit keeps them too).
    const inputs: Input[] = this.inputs.map((o) => ctx.input(o));
    const merge: MergeInput[] = inputs.map((_, i) => ({ input: i }));
    return { op: { inputs, merge: { inputs: merge }, constraints: {} }, metadata: opMetadata(this.#options, ['mergeop']) };
  }
}

class DiffNode implements Node {
  readonly inputs: readonly Output[];
  readonly #lower: Output | undefined;
  readonly #upper: Output | undefined;
  readonly #options: OpOptions | undefined;
  constructor(lower: Output | undefined, upper: Output | undefined, options?: OpOptions) {
    this.#lower = lower;
    this.#upper = upper;
    this.inputs = [lower, upper].filter((o): o is Output => o !== undefined);
    this.#options = options;
  }
  marshal(ctx: MarshalContext): MarshaledOp {
    const inputs: Input[] = [];
    const diff: DiffOp = {
      lower: { input: this.#lower ? inputs.push(ctx.input(this.#lower)) - 1 : EMPTY_INPUT },
      upper: { input: this.#upper ? inputs.push(ctx.input(this.#upper)) - 1 : EMPTY_INPUT },
    };
    return { op: { inputs, diff, constraints: {} }, metadata: opMetadata(this.#options, ['diffop']) };
  }
}

/**
 * Stacks the filesystems of `states`, later ones on top. Scratch inputs are dropped; one
 * remaining input is returned as is. The result keeps the first input's env, dir and user.
 */
export function merge(states: readonly State[], opts?: OpOptions): State {
  const input: unknown = states; // checked as `unknown`: Array.isArray would narrow `states` to any[]
  if (!Array.isArray(input)) throw new StateError('invalid-option', 'merge: expected an array of states');
  const nonEmpty = states.filter((s, i) => propsOf(s, `merge input ${i}`).output !== undefined);
  if (nonEmpty.length === 0) return scratch();
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const first = propsOf(nonEmpty[0]!, 'merge');
  const node = new MergeNode(
    nonEmpty.map((s) => propsOf(s, 'merge').output!),
    opts,
  );
  return new State({ ...first, output: { node, index: 0 } });
}

/** The changes that turn `lower` into `upper`, as a filesystem of its own. Keeps `lower`'s env, dir and user. */
export function diff(lower: State, upper: State, opts?: OpOptions): State {
  const l = propsOf(lower, 'diff (lower)');
  const u = propsOf(upper, 'diff (upper)');
  if (l.output === undefined) return u.output === undefined ? scratch() : upper;
  return new State({ ...l, output: { node: new DiffNode(l.output, u.output, opts), index: 0 } });
}
