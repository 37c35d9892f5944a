// Builds a Dockerfile for real up to the solver — the Dockerfile frontend makes the LLB, the
// solver keys and schedules it against a persistent cache store — with ops that touch no
// container: results are ids, and COPYs from the context key on the real content digest of the
// files they select. Local sources are keyed per build, as the executor keys them.
import { createHash } from 'node:crypto';
import type { Digest, JSONValue } from '../../../llb/index.ts';
import { toJSONValue } from '../../../llb/index.ts';
import { buildContextSource, convertDockerfile } from '../../../frontends/index.ts';
import { ContentHasher } from '../../../executor/contenthash/index.ts';
import {
  loadDefinitions,
  MemoryCacheStore,
  solve,
  type CacheMap,
  type CacheMapDep,
  type Op,
  type OpResolver,
  type Result,
  type SolveGraph,
  type SolveOutcome,
  type Vertex,
} from '../../../solver/index.ts';
import { explain, formatExplanations, recordBuild, type BuildRecord } from '../../../cli/explain/index.ts';

export interface FakeBuildResult {
  readonly graph: SolveGraph;
  readonly outcome: SolveOutcome;
  readonly record: BuildRecord;
  readonly explanations: Map<Digest, string>;
  /** Explanations by vertex name. */
  readonly reasons: Record<string, string>;
  /** Names of the vertices that ran. */
  readonly ran: string[];
  readonly lines: string[];
}

export class FakeBuilder {
  readonly store = new MemoryCacheStore();
  /** Ids of results whose data exists; delete one to simulate pruned cache data. */
  readonly results = new Set<string>();
  readonly hasher = new ContentHasher();
  readonly contextDir: string;
  #builds = 0;
  #ids = 0;
  previous: BuildRecord | undefined;

  constructor(contextDir: string) {
    this.contextDir = contextDir;
  }

  async build(dockerfile: string, opts: { buildArgs?: Record<string, string>; noCache?: boolean; excludes?: string[] } = {}): Promise<FakeBuildResult> {
    const nonce = ++this.#builds;
    const converted = await convertDockerfile(
      {
        filename: 'Dockerfile',
        source: dockerfile,
        buildArgs: opts.buildArgs ?? {},
        platform: { os: 'linux', architecture: 'amd64' },
        noResolve: true,
      },
      () => buildContextSource(opts.excludes ?? []),
    );
    const graph = loadDefinitions(converted.definition);
    const outcome = await solve(graph, { resolver: this.#resolver(nonce), store: this.store, noCache: opts.noCache, maxParallelism: 2 });
    if (!outcome.ok) throw new Error(outcome.failure.message);
    const record = await recordBuild({ graph, vertices: outcome.vertices, locals: { context: this.contextDir }, hasher: this.hasher, noCache: opts.noCache });
    // The record goes through JSON, as it does on disk.
    const stored = JSON.parse(JSON.stringify(record)) as BuildRecord;
    const explanations = explain(this.previous, stored, { noCache: opts.noCache });
    this.previous = stored;
    const reasons: Record<string, string> = {};
    for (const v of stored.vertices) {
      const r = explanations.get(v.digest);
      if (r !== undefined) reasons[v.name] = r;
    }
    return {
      graph,
      outcome,
      record: stored,
      explanations,
      reasons,
      ran: stored.vertices.filter((v) => v.status === 'ran').map((v) => v.name),
      lines: formatExplanations(stored.vertices, explanations),
    };
  }

  #resolver(nonce: number): OpResolver {
    return {
      loadResult: async (id: string): Promise<Result | undefined> => {
        return this.results.has(id) ? { id } : undefined;
      },
      resolve: (vertex: Vertex): Op => {
        return {
          cacheMap: async (): Promise<CacheMap> => {
            const { inputs: _i, ...op } = toJSONValue(vertex.op) as Record<string, JSONValue>;
            const isLocal = vertex.op.source?.identifier?.startsWith('local://') === true;
            return {
              digest: sha(JSON.stringify(isLocal ? { op, nonce } : op)),
              deps: vertex.inputs.map((input, i) => this.#dep(vertex, input.vertex, i)),
            };
          },
          exec: async (): Promise<Result[]> => {
            const id = `${vertex.name}#${++this.#ids}`;
            this.results.add(id);
            return [{ id }];
          },
        };
      },
    };
  }

  #dep(vertex: Vertex, input: Vertex, index: number): CacheMapDep {
    const isLocal = input.op.source?.identifier?.startsWith('local://') === true;
    const mounts = (vertex.op.exec?.mounts ?? []).filter((m) => (m.input ?? 0) === index && m.dest !== '/');
    if (vertex.op.exec && mounts.length > 0) {
      const selector = mounts.map((m) => m.selector ?? '/').join('\0');
      if (!isLocal) return { selector };
      return {
        selector,
        contentDigest: async () =>
          sha(JSON.stringify(await Promise.all(mounts.map((m) => this.hasher.checksum(this.contextDir, { path: m.selector ?? '/' }))))),
      };
    }
    const copies = (vertex.op.file?.actions ?? []).filter((a) => a.copy && (a.secondaryInput ?? 0) === index).map((a) => a.copy!);
    if (copies.length === 0) return {};
    const selector = JSON.stringify(copies.map((c) => [c.src, c.includePatterns ?? [], c.excludePatterns ?? []]));
    if (!isLocal) return { selector };
    return {
      selector,
      contentDigest: async () => {
        const digests: string[] = [];
        for (const c of copies) {
          digests.push(
            await this.hasher.checksum(this.contextDir, {
              path: c.src ?? '/',
              wildcard: c.allowWildcard ?? false,
              include: c.includePatterns ?? [],
              exclude: c.excludePatterns ?? [],
            }),
          );
        }
        return sha(JSON.stringify(digests));
      },
    };
  }
}

function sha(text: string): Digest {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
