// Arithmetic fake ops for scheduler tests: constants and sums over fabricated vertices, plus
// gated ops whose completion the test decides, and ops that fail. No filesystem, no timers.
import { createHash } from 'node:crypto';
import type { Digest, OpMetadata } from '../../llb/index.ts';
import { CUSTOM_NAME } from '../../llb/index.ts';
import type { CacheMap, LoadInput, LoadOp, Op, OpContext, OpResolver, Result, Vertex } from '../../solver/index.ts';

export interface NumResult extends Result {
  readonly value: number;
}

export type FakeKind = 'const' | 'sum' | 'gate' | 'fail' | 'pair';

export interface FakeSpec {
  kind: FakeKind;
  /** Display name; also the handle tests use (counters, gates). Not part of any key. */
  name: string;
  /** const: the value; sum: added to the inputs' sum. */
  value?: number;
  /** Changes the op's cache digest without changing what it computes. */
  seed?: string;
  /** sum/gate: key inputs by their value (a content function) instead of their result id. */
  content?: boolean;
  selector?: string;
  ignoreCache?: boolean;
  /** Its cache map says its digest names this build only (as a build context's does). */
  perBuild?: boolean;
}

export interface Ref {
  readonly digest: Digest;
  readonly index: number;
}

/** Builds LoadInputs out of fake ops. Same spec + same inputs → same digest, as in real LLB. */
export class FakeGraph {
  readonly ops = new Map<Digest, LoadOp>();

  add(spec: FakeSpec, inputs: readonly Ref[] = []): Ref {
    const attrs: Record<string, string> = {
      kind: spec.kind,
      value: String(spec.value ?? 0),
      seed: spec.seed ?? '',
      content: spec.content ? '1' : '',
      selector: spec.selector ?? '',
      name: spec.name,
      ...(spec.perBuild ? { perBuild: '1' } : {}),
    };
    const body = { inputs: inputs.map((i) => ({ digest: i.digest, index: i.index })), source: { identifier: `fake://${spec.kind}`, attrs } };
    const digest = sha(JSON.stringify(body));
    const metadata: OpMetadata = { description: { [CUSTOM_NAME]: spec.name }, ...(spec.ignoreCache ? { ignoreCache: true } : {}) };
    if (!this.ops.has(digest)) this.ops.set(digest, { digest, op: body, metadata });
    return { digest, index: 0 };
  }

  const(name: string, value: number, extra: Partial<FakeSpec> = {}): Ref {
    return this.add({ kind: 'const', name, value, ...extra });
  }

  sum(name: string, inputs: readonly Ref[], extra: Partial<FakeSpec> = {}): Ref {
    return this.add({ kind: 'sum', name, ...extra }, inputs);
  }

  gate(name: string, inputs: readonly Ref[] = [], extra: Partial<FakeSpec> = {}): Ref {
    return this.add({ kind: 'gate', name, ...extra }, inputs);
  }

  /** Two outputs: index 0 is the inputs' sum, index 1 ten times it. */
  pair(name: string, inputs: readonly Ref[]): [Ref, Ref] {
    const r = this.add({ kind: 'pair', name }, inputs);
    return [r, { digest: r.digest, index: 1 }];
  }

  fail(name: string, inputs: readonly Ref[] = []): Ref {
    return this.add({ kind: 'fail', name }, inputs);
  }

  /** A LoadInput asking for `target`. */
  input(target: Ref): LoadInput {
    return { ops: [...this.ops.values()], terminal: { digest: target.digest, index: target.index } };
  }
}

export function sha(text: string): Digest {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => {
        this.settled = true;
        res(v);
      };
      this.reject = (e) => {
        this.settled = true;
        rej(e);
      };
    });
    this.promise.catch(() => {});
  }
}

interface Gate {
  started: Deferred<void>;
  finish: Deferred<number>;
}

/** Counts every call per vertex name, and keeps result data by id (delete to simulate data loss). */
export class FakeResolver implements OpResolver {
  readonly data: Map<string, number>;
  readonly calls = {
    cacheMap: new Map<string, number>(),
    exec: new Map<string, number>(),
    load: new Map<string, number>(),
    content: new Map<string, number>(),
  };
  inFlight = 0;
  maxInFlight = 0;
  readonly gates = new Map<string, Gate>();
  /** Names of gated ops whose signal aborted while they ran. */
  readonly aborted: string[] = [];
  /** Per op kind limit enforced through acquire(), when set. */
  kindLimit: { kind: FakeKind; limit: number } | undefined;
  #kindActive = 0;
  #kindWaiters: (() => void)[] = [];
  maxKindActive = 0;
  #nextId = 0;
  readonly #idPrefix: string;

  /** `idPrefix` keeps result ids unique across processes sharing one store. */
  constructor(data?: Map<string, number>, idPrefix = '') {
    this.data = data ?? new Map();
    this.#idPrefix = idPrefix;
  }

  gate(name: string): Gate {
    let g = this.gates.get(name);
    if (!g) {
      g = { started: new Deferred(), finish: new Deferred() };
      this.gates.set(name, g);
    }
    return g;
  }

  count(kind: keyof FakeResolver['calls'], name: string): number {
    return this.calls[kind].get(name) ?? 0;
  }

  resetCounts(): void {
    for (const m of Object.values(this.calls)) m.clear();
  }

  async loadResult(id: string): Promise<Result | undefined> {
    const name = id.split('#')[0]!;
    bump(this.calls.load, name);
    const value = this.data.get(id);
    return value === undefined ? undefined : ({ id, value } as NumResult);
  }

  resolve(vertex: Vertex): Op {
    const attrs = vertex.op.source!.attrs!;
    const spec = {
      kind: attrs.kind as FakeKind,
      name: attrs.name!,
      value: Number(attrs.value),
      seed: attrs.seed!,
      content: attrs.content === '1',
      selector: attrs.selector || undefined,
    };
    const op: Op = {
      cacheMap: async (ctx: OpContext): Promise<CacheMap> => {
        bump(this.calls.cacheMap, spec.name);
        return {
          digest: sha(`${spec.kind}:${spec.value}:${spec.seed}`),
          ...(attrs.perBuild === '1' ? { perBuild: true } : {}),
          deps: ctx.vertex.inputs.map(() => ({
            ...(spec.selector ? { selector: spec.selector } : {}),
            ...(spec.content
              ? {
                  contentDigest: async (input: Result) => {
                    bump(this.calls.content, spec.name);
                    return sha(`value:${(input as NumResult).value}`);
                  },
                }
              : {}),
          })),
        };
      },
      exec: async (ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> => {
        bump(this.calls.exec, spec.name);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          const sum = inputs.reduce((a, r) => a + (r as NumResult).value, 0);
          let value: number;
          switch (spec.kind) {
            case 'const':
              value = spec.value;
              break;
            case 'sum':
              value = sum + spec.value;
              break;
            case 'pair': {
              const base = `${spec.name}#${this.#idPrefix}${this.#nextId++}`;
              this.data.set(`${base}.0`, sum);
              this.data.set(`${base}.1`, sum * 10);
              return [{ id: `${base}.0`, value: sum } as NumResult, { id: `${base}.1`, value: sum * 10 } as NumResult];
            }
            case 'fail':
              throw new Error(`${spec.name} exploded`);
            case 'gate': {
              const g = this.gate(spec.name);
              g.started.resolve();
              const onAbort = () => {
                this.aborted.push(spec.name);
                g.finish.reject(ctx.signal.reason);
              };
              if (ctx.signal.aborted) onAbort();
              ctx.signal.addEventListener('abort', onAbort, { once: true });
              try {
                value = sum + (await g.finish.promise);
              } finally {
                ctx.signal.removeEventListener('abort', onAbort);
              }
              break;
            }
          }
          ctx.log(1, `${spec.name}=${value}\n`);
          const id = `${spec.name}#${this.#idPrefix}${this.#nextId++}`;
          this.data.set(id, value);
          return [{ id, value } as NumResult];
        } finally {
          this.inFlight--;
        }
      },
    };
    if (this.kindLimit?.kind === spec.kind) {
      op.acquire = async () => {
        const limit = this.kindLimit!.limit;
        while (this.#kindActive >= limit) await new Promise<void>((r) => this.#kindWaiters.push(r));
        this.#kindActive++;
        this.maxKindActive = Math.max(this.maxKindActive, this.#kindActive);
        return () => {
          this.#kindActive--;
          this.#kindWaiters.shift()?.();
        };
      };
    }
    return op;
  }
}

function bump(m: Map<string, number>, name: string): void {
  m.set(name, (m.get(name) ?? 0) + 1);
}

/** Lets every already-queued promise continuation and I/O callback run. Not a sleep: no timer. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
