// The graph behind States: op nodes and their outputs. A State points at one Output; marshal.ts
// walks nodes depth-first, asks each to build its pb.Op with its inputs already digested, and
// names it by the digest of the bytes. Nodes are immutable once built.
import { StateError } from './errors.ts';
import type { State } from './state.ts';
import { EMPTY_INPUT, type HostIP, type Input, type NetMode, type Op, type OpMetadata, type Platform, type SecurityMode } from './pb/types.ts';

export interface Output {
  readonly node: Node;
  /** Output index of the node (exec ops have one output per writable mount). */
  readonly index: number;
}

export interface MarshalContext {
  /** Platform for ops whose state sets none. */
  readonly platform: Platform;
  /** The pb.Input for an output whose node has already been marshaled. */
  input(output: Output): Input;
}

/**
 * The pb.Inputs of one op, built as its fields are marshaled. An output read twice (two mounts of
 * one state, a copy from the op's own base) gets one index, so equal graphs give equal op bytes.
 */
export function opInputs(ctx: MarshalContext): { readonly inputs: Input[]; readonly indexOf: (output: Output | undefined) => number } {
  const inputs: Input[] = [];
  const indexOf = (output: Output | undefined): number => {
    if (!output) return EMPTY_INPUT;
    const inp = ctx.input(output);
    const found = inputs.findIndex((x) => x.digest === inp.digest && (x.index ?? 0) === (inp.index ?? 0));
    if (found !== -1) return found;
    inputs.push(inp);
    return inputs.length - 1;
  };
  return { inputs, indexOf };
}

export interface MarshaledOp {
  readonly op: Op;
  readonly metadata?: OpMetadata;
}

export interface Node {
  /** Outputs this node reads, in the order they are marshaled (dependencies first). */
  readonly inputs: readonly Output[];
  marshal(ctx: MarshalContext): MarshaledOp;
}

/** Everything a State carries besides its output: what a later `run` inherits. */
export interface StateProps {
  readonly output: Output | undefined;
  readonly env: readonly (readonly [string, string])[];
  readonly dir: string | undefined;
  readonly user: string | undefined;
  readonly platform: Platform | undefined;
  readonly network: NetMode | undefined;
  readonly security: SecurityMode | undefined;
  readonly hostname: string | undefined;
  readonly extraHosts: readonly HostIP[];
}

export const EMPTY_PROPS: StateProps = Object.freeze({
  output: undefined,
  env: [],
  dir: undefined,
  user: undefined,
  platform: undefined,
  network: undefined,
  security: undefined,
  hostname: undefined,
  extraHosts: [],
});

/** Key of a State's props, for code inside llb/ (kept off the public surface). */
// A registered symbol: a build program that loaded its own copy of tsbuild still hands over States we can read.
export const STATE_PROPS: unique symbol = Symbol.for('tsbuild.stateProps');

/**
 * The props of a value that should be a State. Build programs are plain JavaScript too, so a
 * missing or wrong argument is reported as a user error naming the call (`what`).
 */
export function propsOf(s: State, what: string, problem = `expected a State, got ${String(s)}`): StateProps {
  const props = (s as Partial<State> | undefined | null)?.[STATE_PROPS];
  if (!props) throw new StateError('undefined-state', `${what}: ${problem}`);
  return props;
}

/** Options every op accepts. They go to OpMetadata, which is not part of the op's digest. */
export interface OpOptions {
  /** Name shown in progress output (`llb.customname`). */
  readonly customName?: string;
  /** Run this op even when its result is cached. */
  readonly ignoreCache?: boolean;
  /** Extra description entries. */
  readonly description?: Readonly<Record<string, string>>;
  readonly progressGroup?: { readonly id: string; readonly name?: string; readonly weak?: boolean };
}

export function opMetadata(opts: OpOptions | undefined, caps: readonly string[]): OpMetadata | undefined {
  const md: { -readonly [K in keyof OpMetadata]: OpMetadata[K] } = {};
  if (opts?.ignoreCache) md.ignoreCache = true;
  const description = { ...opts?.description };
  if (opts?.customName !== undefined) description['llb.customname'] = opts.customName;
  if (Object.keys(description).length) md.description = description;
  if (opts?.progressGroup) md.progressGroup = { ...opts.progressGroup };
  if (caps.length) md.caps = Object.fromEntries(caps.map((c) => [c, true]));
  return Object.keys(md).length ? md : undefined;
}

/** The pb.Platform of an op, as BuildKit writes it (OSFeatures only when set). */
export function pbPlatform(p: Platform): Platform {
  const out: Platform = {};
  if (p.architecture) out.architecture = p.architecture;
  if (p.os) out.os = p.os;
  if (p.variant) out.variant = p.variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  if (p.osFeatures) out.osFeatures = [...p.osFeatures];
  return out;
}
