// The scheduler: solves the targets of a loaded graph, lazily from the targets.
//
// 1. Keys. Every vertex's op is resolved and asked for its CacheMap (all at once: no op runs
//    yet), then definition keys are computed in topological order. This is pure data work.
// 2. Demand. Each target is materialized: look up its definition keys; on a hit load the result
//    and stop — its inputs are never built. On a miss, materialize the inputs, compute content
//    keys from them and look those up (first with every input named by its own key along
//    definition lines, which needs no input's data and is what a machine importing this cache
//    computes; then over the content the op reads); on a miss, run the op on the bounded queue
//    and record the results under every key. Each vertex is materialized at most once (memoized
//    promise), so a vertex shared by several dependents or targets runs once.
// 3. Failure. The first vertex to fail aborts a shared AbortSignal that every op sees; the solve
//    settles only when every started op has settled, and nothing is written to the store after
//    the abort.
// Per-vertex states and their moves are in vertex-state.ts.
import { availableParallelism } from 'node:os';
import PQueue from 'p-queue';
import type { Digest } from '../llb/index.ts';
import { contentKey, definitionKey, type CacheKey } from './cache-key.ts';
import type { CacheRecord, CacheStore } from './cache-store.ts';
import type { SolveGraph } from './load.ts';
import { LookupBatcher } from './lookup-batcher.ts';
import type { CacheMap, Op, OpContext, OpResolver, Result, SolveEvent, StatusEvent, Vertex, VertexEvent } from './types.ts';
import { advance, isFinal, type VertexStatus } from './vertex-state.ts';

export interface SolveOptions {
  readonly resolver: OpResolver;
  readonly store: CacheStore;
  /**
   * How many ops may exec at once. Default: twice the CPUs, at least 16. Steps mostly wait on a
   * single-threaded process or on I/O, so capping them at the CPU count leaves cores idle (three
   * independent stages on two cores take one stage longer); BuildKit sets no cap by default.
   */
  readonly maxParallelism?: number | undefined;
  /** Run every vertex, as if each were ignoreCache. Results are still recorded. */
  readonly noCache?: boolean | undefined;
  /** Aborting cancels every op in flight; the solve then ends with a `canceled` failure. */
  readonly signal?: AbortSignal | undefined;
  /** Receives every event in order. Must not throw. The solver itself never prints. */
  readonly onEvent?: ((event: SolveEvent) => void) | undefined;
}

export type SolveOutcome =
  | {
      readonly ok: true;
      /** One result per graph target, in target order; undefined for an empty target (scratch). */
      readonly results: readonly (Result | undefined)[];
      readonly vertices: ReadonlyMap<Digest, VertexReport>;
    }
  | {
      readonly ok: false;
      readonly failure: SolveFailure;
      readonly vertices: ReadonlyMap<Digest, VertexReport>;
    };

export type SolveFailure =
  | {
      readonly reason: 'vertex-failed';
      readonly digest: Digest;
      readonly name: string;
      /** What the op (or the store, while recording it) threw. */
      readonly error: unknown;
      readonly message: string;
    }
  | { readonly reason: 'canceled'; readonly cause: unknown; readonly message: string };

/**
 * What happened to one vertex, with the keys that decided it: enough to explain a rebuild by
 * comparing with the previous build's report (which input key or content digest changed).
 */
export interface VertexReport {
  readonly digest: Digest;
  readonly name: string;
  /**
   * `skipped`: never needed, because a vertex downstream hit the cache.
   * `not-started`: the solve failed or was canceled before it was needed.
   */
  readonly status: 'cached' | 'ran' | 'skipped' | 'failed' | 'canceled' | 'not-started';
  /** It or a vertex upstream always runs (ignoreCache, --no-cache). */
  readonly volatile: boolean;
  /** It or a vertex upstream names this build only (a build context): its definition keys never hit again. */
  readonly perBuild: boolean;
  /** For `cached`: which key hit. */
  readonly hit?: 'definition' | 'content' | undefined;
  /** Definition key per output index (for the outputs that were used). */
  readonly definitionKeys: ReadonlyMap<number, CacheKey>;
  /** Content key per output index, when content keys were computed. */
  readonly contentKeys?: ReadonlyMap<number, CacheKey> | undefined;
  /** The content key per output index with inputs named by their keys along definition lines (see solve.ts). */
  readonly altContentKeys?: ReadonlyMap<number, CacheKey> | undefined;
  readonly inputs: readonly InputReport[];
  /** Result id per output index, for `cached` and `ran`. */
  readonly resultIds?: ReadonlyMap<number, string> | undefined;
  readonly started?: number | undefined;
  readonly completed?: number | undefined;
}

export interface InputReport {
  readonly digest: Digest;
  readonly index: number;
  readonly selector?: string | undefined;
  /** The input's definition key, as it went into this vertex's definition key (absent if keys were never computed). */
  readonly key: CacheKey | undefined;
  /** The content digest the op computed over this input, when content keys were computed. */
  readonly content?: Digest | undefined;
  /** The input's result id, when content keys were computed and the op gave no content function. */
  readonly resultId?: string | undefined;
}

type ContentInput = { content: Digest; selector?: string | undefined } | { result: string; selector?: string | undefined };

interface Node {
  readonly digest: Digest;
  readonly vertex: Vertex;
  status: VertexStatus;
  op: Op | undefined;
  ctx: OpContext;
  cacheMap: CacheMap | undefined;
  /** ignoreCache or --no-cache: never looked up, always runs. */
  ignoreCache: boolean;
  /** This vertex or one upstream always runs, so its definition key says nothing about its inputs' data. */
  volatile: boolean;
  /** Its op's digest or one upstream names this build only (CacheMap.perBuild): its definition keys never hit again. */
  perBuild: boolean;
  /** Output indexes that a dependent or a target uses. */
  readonly outputs: Set<number>;
  readonly defKeys: Map<number, CacheKey>;
  contentKeys: Map<number, CacheKey> | undefined;
  /** Content keys with every keyed input named by its key along definition lines (see #alternativeIdentity). */
  altContentKeys: Map<number, CacheKey> | undefined;
  contentInputs: ContentInput[] | undefined;
  results: Map<number, Result> | undefined;
  hit: 'definition' | 'content' | undefined;
  promise: Promise<Map<number, Result>> | undefined;
  /** Settles once the op runs (or the vertex is done another way): see #othersUnderway. */
  underway: { promise: Promise<void>; resolve: () => void } | undefined;
  started: number | undefined;
  completed: number | undefined;
}

/** Marks errors that only repeat another vertex's failure or the abort: they end a vertex as `canceled`. */
class Canceled extends Error {
  override readonly name = 'Canceled';
}

export async function solve(graph: SolveGraph, options: SolveOptions): Promise<SolveOutcome> {
  return new Solve(graph, options).run();
}

/** See `SolveOptions.maxParallelism`. */
export function defaultParallelism(): number {
  return Math.max(16, 2 * availableParallelism());
}

class Solve {
  readonly #graph: SolveGraph;
  readonly #opts: SolveOptions;
  readonly #nodes = new Map<Digest, Node>();
  readonly #controller = new AbortController();
  readonly #queue: PQueue;
  readonly #lookups: LookupBatcher;
  readonly #inFlight: Promise<unknown>[] = [];
  #failure: SolveFailure | undefined;

  constructor(graph: SolveGraph, opts: SolveOptions) {
    this.#graph = graph;
    this.#opts = opts;
    this.#queue = new PQueue({ concurrency: Math.max(1, opts.maxParallelism ?? defaultParallelism()) });
    this.#lookups = new LookupBatcher(opts.store);
  }

  get #signal(): AbortSignal {
    return this.#controller.signal;
  }

  async run(): Promise<SolveOutcome> {
    const external = this.#opts.signal;
    const onAbort = () => this.#cancel(external?.reason);
    if (external?.aborted) onAbort();
    else external?.addEventListener('abort', onAbort, { once: true });
    try {
      this.#createNodes();
      if (!this.#signal.aborted) await this.#computeKeys();
      const targets = this.#graph.targets.map((t) => {
        if (!t) return Promise.resolve(undefined);
        const node = this.#node(t.vertex);
        return this.#materialize(node).then((rs) => this.#output(node, rs, t.index));
      });
      const settled = await Promise.allSettled(targets);
      await this.#drain();
      if (this.#failure === undefined) {
        const rejected = settled.find((s) => s.status === 'rejected');
        // Reaching here without a recorded failure means a scheduler bug: surface it as one.
        if (rejected) throw rejected.reason;
      }
      if (this.#failure) return { ok: false, failure: this.#failure, vertices: this.#reports(false) };
      const results = settled.map((s) => (s as PromiseFulfilledResult<Result | undefined>).value);
      this.#emitSkipped();
      return { ok: true, results, vertices: this.#reports(true) };
    } finally {
      external?.removeEventListener('abort', onAbort);
    }
  }

  // ---- setup ------------------------------------------------------------------------------

  #createNodes(): void {
    const noCache = this.#opts.noCache === true;
    for (const vertex of this.#graph.order) {
      const ignoreCache = noCache || vertex.metadata.ignoreCache === true;
      const node: Node = {
        digest: vertex.digest,
        vertex,
        status: 'pending',
        op: undefined,
        ctx: this.#context(vertex),
        cacheMap: undefined,
        ignoreCache,
        volatile: ignoreCache || vertex.inputs.some((i) => this.#node(i.vertex).volatile),
        perBuild: false,
        outputs: new Set(),
        defKeys: new Map(),
        contentKeys: undefined,
        altContentKeys: undefined,
        contentInputs: undefined,
        results: undefined,
        hit: undefined,
        promise: undefined,
        underway: undefined,
        started: undefined,
        completed: undefined,
      };
      this.#nodes.set(vertex.digest, node);
      for (const input of vertex.inputs) this.#node(input.vertex).outputs.add(input.index);
    }
    for (const t of this.#graph.targets) if (t) this.#node(t.vertex).outputs.add(t.index);
  }

  async #computeKeys(): Promise<void> {
    const nodes = [...this.#nodes.values()];
    await Promise.all(
      nodes.map(async (node) => {
        try {
          node.op = this.#opts.resolver.resolve(node.vertex);
          const cm = await node.op.cacheMap(node.ctx);
          if (cm.deps.length !== node.vertex.inputs.length) {
            throw new Error(`its op gave a cache map with ${cm.deps.length} deps for ${node.vertex.inputs.length} inputs`);
          }
          node.cacheMap = cm;
        } catch (err) {
          this.#fail(node, err);
        }
      }),
    );
    if (this.#signal.aborted) return;
    // Topological order: every input's keys exist before its users need them.
    for (const node of nodes) {
      node.perBuild = node.cacheMap!.perBuild === true || node.vertex.inputs.some((i) => this.#node(i.vertex).perBuild);
      for (const o of node.outputs) this.#definitionKey(node, o);
    }
  }

  async #alternativeInput(node: Node, i: number, result: Result): Promise<ContentInput> {
    const dep = node.cacheMap!.deps[i]!;
    const key = this.#alternativeIdentity(node.vertex.inputs[i]!);
    if (key !== undefined) return { result: key, selector: dep.selector };
    if (dep.contentDigest) {
      await this.#othersUnderway(node, i);
      return { content: await dep.contentDigest(result, node.ctx), selector: dep.selector };
    }
    return { result: result.id, selector: dep.selector };
  }

  /**
   * Settles once every other input of `node` is done or its op is running. A build context is
   * hashed early, while the steps the op also waits for go on, but after those have started:
   * hashing takes the thread those steps need to get going (in slices, but a step takes many
   * turns to start), and the op cannot run before they end anyway.
   */
  #othersUnderway(node: Node, i: number): Promise<unknown> {
    const waits: Promise<void>[] = [];
    node.vertex.inputs.forEach((input, j) => {
      const other = this.#node(input.vertex);
      // Queued: it waits for a slot, not for the thread.
      if (j === i || other.promise === undefined || ['queued', 'running', 'saving'].includes(other.status) || isFinal(other.status)) return;
      if (!other.underway) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        other.underway = { promise, resolve };
      }
      waits.push(other.underway.promise);
    });
    return Promise.all(waits);
  }

  #definitionKey(node: Node, output: number): CacheKey {
    let key = node.defKeys.get(output);
    if (key === undefined) {
      const cm = node.cacheMap!;
      key = definitionKey(
        cm.digest,
        output,
        node.vertex.inputs.map((input, i) => ({ key: this.#node(input.vertex).defKeys.get(input.index)!, selector: cm.deps[i]!.selector })),
      );
      node.defKeys.set(output, key);
    }
    return key;
  }

  // ---- the per-vertex walk ----------------------------------------------------------------

  #materialize(node: Node): Promise<Map<number, Result>> {
    if (node.promise) return node.promise;
    const promise = this.#walk(node)
      .catch((err: unknown) => {
        this.#fail(node, err);
        throw err instanceof Canceled ? err : new Canceled(`${node.vertex.name} did not complete`);
      })
      .finally(() => node.underway?.resolve());
    node.promise = promise;
    this.#inFlight.push(promise.catch(() => {}));
    return promise;
  }

  async #walk(node: Node): Promise<Map<number, Result>> {
    this.#checkAborted();
    const outputs = [...node.outputs];

    if (!node.volatile && !node.perBuild) {
      advance(node, 'probing');
      const keys = outputs.map((o) => this.#definitionKey(node, o));
      const found = await this.#lookups.get(keys);
      this.#checkAborted();
      if (keys.every((k) => found.has(k))) {
        advance(node, 'loading');
        const loaded = await this.#load(outputs, keys, found);
        if (loaded) return this.#finishCached(node, 'definition', loaded);
      }
    }

    advance(node, 'waiting');
    const matching = !node.ignoreCache && node.vertex.inputs.length > 0;
    const pending = node.vertex.inputs.map(async (input) => {
      const dep = this.#node(input.vertex);
      return this.#output(dep, await this.#materialize(dep), input.index);
    });
    // First the inputs' keys along definition lines (cheap: content is hashed only for inputs
    // without a key, i.e. build contexts), each as soon as its input is ready: a context is
    // hashed while a long step the op also waits for still runs.
    const pendingAlt = matching ? pending.map((p, i) => p.then((result) => this.#alternativeInput(node, i, result))) : [];
    for (const p of pendingAlt) p.catch(() => {}); // reported through the inputs, or awaited below
    const inputs = await Promise.all(pending);
    this.#checkAborted();

    if (matching) {
      advance(node, 'matching');
      const cm = node.cacheMap!;
      // Then content over what the op reads.
      const altInputs = await Promise.all(pendingAlt);
      this.#checkAborted();
      node.contentInputs = altInputs;
      node.altContentKeys = new Map(outputs.map((o) => [o, contentKey(cm.digest, o, altInputs)]));
      const hit = await this.#lookupContent(node, outputs, node.altContentKeys);
      if (hit) return hit;
      if (node.status === 'matching') {
        node.contentInputs = await Promise.all(
          inputs.map(async (result, i): Promise<ContentInput> => {
            const dep = cm.deps[i]!;
            const hashed = altInputs[i]!;
            if ('content' in hashed) return hashed; // an unkeyed input, hashed once already
            if (dep.contentDigest) return { content: await dep.contentDigest(result, node.ctx), selector: dep.selector };
            return { result: this.#primaryIdentity(node.vertex.inputs[i]!, result), selector: dep.selector };
          }),
        );
        this.#checkAborted();
        node.contentKeys = new Map(outputs.map((o) => [o, contentKey(cm.digest, o, node.contentInputs!)]));
        const same = outputs.every((o) => node.contentKeys!.get(o) === node.altContentKeys!.get(o));
        const primaryHit = same ? undefined : await this.#lookupContent(node, outputs, node.contentKeys);
        if (primaryHit) return primaryHit;
      }
    }

    advance(node, 'queued');
    const results = await this.#exec(node, inputs);

    advance(node, 'saving');
    this.#checkAborted();
    const entries = this.#keysOf(node, [...results.keys()]).map(({ key, output }) => ({ key, resultId: results.get(output)!.id }));
    // One transaction: the outputs of one exec are recorded together or not at all.
    await this.#opts.store.put(entries);
    advance(node, 'ran');
    node.results = results;
    node.completed = Date.now();
    this.#emitVertex(node, { started: node.started, completed: node.completed });
    return results;
  }

  async #exec(node: Node, inputs: Result[]): Promise<Map<number, Result>> {
    const op = node.op!;
    const release = op.acquire ? await op.acquire(this.#signal) : undefined;
    try {
      return await this.#queue.add(async () => {
        this.#checkAborted();
        advance(node, 'running');
        node.underway?.resolve();
        node.started = Date.now();
        this.#emitVertex(node, { started: node.started });
        const out = await op.exec(node.ctx, inputs);
        const results = new Map<number, Result>();
        out.forEach((r, i) => results.set(i, r));
        for (const o of node.outputs) {
          if (!results.has(o)) throw new Error(`its op returned ${out.length} result(s), but output ${o} is used`);
        }
        return results;
      });
    } finally {
      release?.();
    }
  }

  /** Loads every record's result; undefined when any result's data is gone (then it is a miss). */
  async #load(outputs: number[], keys: CacheKey[], found: Map<CacheKey, CacheRecord>): Promise<Map<number, Result> | undefined> {
    const loaded = await Promise.all(keys.map((k) => this.#opts.resolver.loadResult(found.get(k)!.resultId)));
    this.#checkAborted();
    if (loaded.some((r) => r === undefined)) return undefined;
    return new Map(outputs.map((o, i) => [o, loaded[i]!]));
  }

  #finishCached(node: Node, hit: 'definition' | 'content', results: Map<number, Result>): Map<number, Result> {
    advance(node, 'cached');
    node.hit = hit;
    node.results = results;
    node.started = node.completed = Date.now();
    this.#emitVertex(node, { started: node.started, completed: node.completed, cached: true });
    return results;
  }

  /**
   * Looks up one set of content keys; on a hit, links every other key of the node to the same
   * results, so the next build with this definition hits without building the inputs at all.
   * Undefined on a miss, or when a result's data is gone (then the node has moved to `loading`).
   */
  async #lookupContent(node: Node, outputs: number[], variant: Map<number, CacheKey>): Promise<Map<number, Result> | undefined> {
    const keys = [...variant.values()];
    const found = await this.#lookups.get(keys);
    this.#checkAborted();
    if (!keys.every((k) => found.has(k))) return undefined;
    advance(node, 'loading');
    const loaded = await this.#load(outputs, keys, found);
    if (!loaded) return undefined;
    this.#checkAborted();
    await this.#opts.store.put(this.#keysOf(node, outputs).map(({ key, output }) => ({ key, resultId: loaded.get(output)!.id })));
    return this.#finishCached(node, 'content', loaded);
  }

  /**
   * Every key a node's outputs are recorded under: the definition key (unless it names this
   * build only: it could never hit again) and the content keys computed.
   */
  #keysOf(node: Node, outputs: readonly number[]): { key: CacheKey; output: number }[] {
    const out: { key: CacheKey; output: number }[] = [];
    for (const o of outputs) {
      if (!node.perBuild) out.push({ key: this.#definitionKey(node, o), output: o });
      for (const variant of [node.altContentKeys, node.contentKeys]) {
        const k = variant?.get(o);
        if (k !== undefined && !out.some((e) => e.key === k)) out.push({ key: k, output: o });
      }
    }
    return out;
  }

  /**
   * An input's key along definition lines, what any machine that hit the same inputs computes:
   * its definition key, or, where definition keys name one build only (under a build context),
   * its own alternative content key. A machine importing this cache hits along these keys, without
   * reading any input's data. Undefined for an input never keyed (--no-cache, a build context).
   */
  #alternativeIdentity(input: { vertex: Vertex; index: number }): CacheKey | undefined {
    const dep = this.#node(input.vertex);
    if (dep.ignoreCache) return undefined;
    if (!dep.perBuild) return dep.defKeys.get(input.index);
    return dep.altContentKeys?.get(input.index) ?? dep.contentKeys?.get(input.index);
  }

  /**
   * An input the op reads whole, in the primary content key: its content key when it has one
   * (it hit or ran over the same data, even if its definition changed), else its key along
   * definition lines; its result id when it has no key at all.
   */
  #primaryIdentity(input: { vertex: Vertex; index: number }, result: Result): string {
    const dep = this.#node(input.vertex);
    if (dep.ignoreCache) return result.id;
    return dep.contentKeys?.get(input.index) ?? this.#alternativeIdentity(input) ?? result.id;
  }

  #output(node: Node, results: Map<number, Result>, index: number): Result {
    const r = results.get(index);
    if (!r) throw new Error(`vertex ${node.vertex.name} has no output ${index}`);
    return r;
  }

  // ---- failure and cancellation ------------------------------------------------------------

  #checkAborted(): void {
    if (this.#signal.aborted) throw new Canceled('canceled');
  }

  #cancel(cause: unknown): void {
    if (this.#signal.aborted) return;
    this.#failure ??= { reason: 'canceled', cause, message: 'the build was canceled' };
    this.#controller.abort(cause);
  }

  /** The first real error fails the solve and cancels the rest; everything after is `canceled`. */
  #fail(node: Node, err: unknown): void {
    if (isFinal(node.status)) return;
    const now = Date.now();
    if (this.#signal.aborted || err instanceof Canceled) {
      advance(node, 'canceled');
      if (node.started !== undefined) {
        node.completed = now;
        this.#emitVertex(node, { started: node.started, completed: now, canceled: true, error: 'canceled' });
      }
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    advance(node, 'failed');
    node.started ??= now;
    node.completed = now;
    this.#failure = {
      reason: 'vertex-failed',
      digest: node.digest,
      name: node.vertex.name,
      error: err,
      message: `"${node.vertex.name}" failed: ${message}`,
    };
    this.#emitVertex(node, { started: node.started, completed: now, error: message });
    this.#controller.abort(new Canceled(`"${node.vertex.name}" failed`));
  }

  /** Waits until every started vertex has settled, including those started while waiting. */
  async #drain(): Promise<void> {
    let seen = -1;
    while (seen !== this.#inFlight.length) {
      seen = this.#inFlight.length;
      await Promise.all(this.#inFlight);
    }
  }

  // ---- events and reports -----------------------------------------------------------------

  #context(vertex: Vertex): OpContext {
    return new VertexContext(vertex, this.#controller.signal, (e) => this.#emit(e));
  }

  #emit(event: SolveEvent): void {
    const onEvent = this.#opts.onEvent;
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch (err) {
      // A broken watcher must not corrupt the solve; surface it where it belongs.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  #emitVertex(node: Node, fields: Partial<Pick<VertexEvent, 'started' | 'completed' | 'cached' | 'canceled' | 'error'>>): void {
    if (!this.#opts.onEvent) return;
    const pg = node.vertex.metadata.progressGroup;
    this.#emit({
      type: 'vertex',
      digest: node.digest,
      name: node.vertex.name,
      inputs: node.vertex.inputs.map((i) => i.vertex.digest),
      ...fields,
      ...(pg?.id ? { progressGroup: { id: pg.id, name: pg.name ?? '', ...(pg.weak ? { weak: true } : {}) } } : {}),
    });
  }

  /** Vertices covered by a cached result downstream are shown as cached, as BuildKit shows them. */
  #emitSkipped(): void {
    const now = Date.now();
    for (const node of this.#nodes.values()) {
      if (node.status === 'pending') this.#emitVertex(node, { started: now, completed: now, cached: true });
    }
  }

  #reports(ok: boolean): Map<Digest, VertexReport> {
    const out = new Map<Digest, VertexReport>();
    for (const node of this.#nodes.values()) out.set(node.digest, new Report(node, reportStatus(node.status, ok), (v) => this.#node(v)));
    return out;
  }

  #node(vertex: Vertex): Node {
    return this.#nodes.get(vertex.digest)!;
  }
}

/** Per-call context of one vertex: methods on the prototype, so 10,000 vertices cost 10,000 small objects. */
class VertexContext implements OpContext {
  readonly vertex: Vertex;
  readonly signal: AbortSignal;
  readonly #emit: (e: SolveEvent) => void;

  constructor(vertex: Vertex, signal: AbortSignal, emit: (e: SolveEvent) => void) {
    this.vertex = vertex;
    this.signal = signal;
    this.#emit = emit;
  }

  log(stream: 1 | 2, data: Uint8Array | string): void {
    this.#emit({
      type: 'log',
      vertex: this.vertex.digest,
      stream,
      data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
      timestamp: Date.now(),
    });
  }

  status(status: Omit<StatusEvent, 'type' | 'vertex' | 'timestamp'>): void {
    this.#emit({ ...status, type: 'status', vertex: this.vertex.digest, timestamp: Date.now() });
  }

  warn(short: string, detail?: string): void {
    this.#emit({ type: 'warning', vertex: this.vertex.digest, level: 1, short, ...(detail === undefined ? {} : { detail }) });
  }
}

/** A vertex's report; the per-input part is built only when someone reads it. */
class Report implements VertexReport {
  readonly digest: Digest;
  readonly name: string;
  readonly status: VertexReport['status'];
  readonly volatile: boolean;
  readonly perBuild: boolean;
  readonly hit: 'definition' | 'content' | undefined;
  readonly definitionKeys: ReadonlyMap<number, CacheKey>;
  readonly contentKeys: ReadonlyMap<number, CacheKey> | undefined;
  readonly altContentKeys: ReadonlyMap<number, CacheKey> | undefined;
  readonly resultIds: ReadonlyMap<number, string> | undefined;
  readonly started: number | undefined;
  readonly completed: number | undefined;
  readonly #node: Node;
  readonly #nodeOf: (v: Vertex) => Node;
  #inputs: InputReport[] | undefined;

  constructor(node: Node, status: VertexReport['status'], nodeOf: (v: Vertex) => Node) {
    this.digest = node.digest;
    this.name = node.vertex.name;
    this.status = status;
    this.volatile = node.volatile;
    this.perBuild = node.perBuild;
    this.hit = node.hit;
    this.definitionKeys = node.defKeys;
    this.contentKeys = node.contentKeys;
    this.altContentKeys = node.altContentKeys;
    this.resultIds = node.results ? new Map([...node.results].map(([o, r]) => [o, r.id])) : undefined;
    this.started = node.started;
    this.completed = node.completed;
    this.#node = node;
    this.#nodeOf = nodeOf;
  }

  get inputs(): readonly InputReport[] {
    const node = this.#node;
    return (this.#inputs ??= node.vertex.inputs.map((input, i) => {
      const ci = node.contentInputs?.[i];
      return {
        digest: input.vertex.digest,
        index: input.index,
        selector: node.cacheMap?.deps[i]?.selector,
        key: this.#nodeOf(input.vertex).defKeys.get(input.index),
        content: ci && 'content' in ci ? ci.content : undefined,
        resultId: ci && 'result' in ci ? ci.result : undefined,
      };
    }));
  }
}

function reportStatus(status: VertexStatus, ok: boolean): VertexReport['status'] {
  switch (status) {
    case 'cached':
    case 'ran':
    case 'failed':
    case 'canceled':
      return status;
    case 'pending':
      return ok ? 'skipped' : 'not-started';
    default:
      // A solve only reports after every started vertex settled.
      return 'canceled';
  }
}
