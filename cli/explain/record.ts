// What one build leaves behind so that the next build of the same target can say why a step ran:
// per vertex its decoded op, how it ended and the keys that decided it, and for every local
// source a manifest of the files it selected. Plain JSON, versioned: a record of another version
// is ignored, never misread.
import { AsyncMemo, CUSTOM_NAME, opKind, toJSONValue, type Definition, type Digest, type JSONValue } from '../../llb/index.ts';
import { loadDefinitions, type SolveGraph, type Vertex, type VertexReport } from '../../solver/index.ts';

/** Bumped whenever the shape or meaning of a record changes. */
export const BUILD_RECORD_VERSION = 1;

export interface BuildRecord {
  readonly version: typeof BUILD_RECORD_VERSION;
  /** ISO time the record was made. */
  readonly created: string;
  /** The build ran with `--no-cache`. */
  readonly noCache: boolean;
  /** Every vertex of the solved graph, inputs before their users. */
  readonly vertices: readonly VertexRecord[];
}

export interface VertexRecord {
  readonly digest: Digest;
  /** Display name (`[stage-1 2/5] RUN make`, or one derived from the op). */
  readonly name: string;
  /**
   * Where the vertex sits in the build description, stable across edits of its content: for
   * Dockerfile-style names `[stage N/M] KEYWORD` gives `stage #N KEYWORD`; another custom name
   * is itself; without one, the op kind and its position among unnamed ops of that kind.
   */
  readonly slot: string;
  readonly kind: string;
  /** The decoded op as JSON (bytes as base64), inputs included. */
  readonly op: JSONValue;
  readonly ignoreCache: boolean;
  readonly status: VertexReport['status'];
  readonly hit?: 'definition' | 'content' | undefined;
  /** Output index → key. */
  readonly definitionKeys: Readonly<Record<string, string>>;
  readonly contentKeys?: Readonly<Record<string, string>> | undefined;
  readonly resultIds?: Readonly<Record<string, string>> | undefined;
  readonly inputs: readonly InputRecord[];
  /** For `local://` sources. */
  readonly local?: LocalRecord | undefined;
}

export interface InputRecord {
  readonly digest: Digest;
  readonly index: number;
  readonly name: string;
  readonly slot: string;
  readonly selector?: string | undefined;
  readonly key?: string | undefined;
  readonly content?: string | undefined;
  readonly resultId?: string | undefined;
}

export interface LocalRecord {
  /** The local's name (`context`). */
  readonly name: string;
  /** The directory it was read from; absent when the build was not given one. */
  readonly dir?: string | undefined;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /**
   * Path → digest prefix of every entry the source selects (directories end with `/`). The first
   * 16 hex digits of a digest tell a change apart; whole digests would triple the record's size.
   */
  readonly manifest: Readonly<Record<string, string>>;
}

/** Lists per-entry digests of a selection of a directory (ContentHasher.manifest does). */
export interface ManifestSource {
  manifest(root: string, options: { include?: readonly string[]; exclude?: readonly string[] }): Promise<ReadonlyMap<string, Digest>>;
}

export interface RecordBuildInput {
  /** The solved graph, or the definition it was loaded from. */
  readonly graph: SolveGraph | Definition;
  /** The solve's per-vertex reports (`SolveOutcome.vertices`). */
  readonly vertices: ReadonlyMap<Digest, VertexReport>;
  /** Directory of every local source, by name, as given to the executor. */
  readonly locals: Readonly<Record<string, string>>;
  readonly hasher: ManifestSource;
  readonly noCache?: boolean | undefined;
  /** For tests: the record's time. */
  readonly now?: Date | undefined;
}

export async function recordBuild(input: RecordBuildInput): Promise<BuildRecord> {
  const graph = 'order' in input.graph ? input.graph : loadDefinitions(input.graph);
  const slots = slotsOf(graph.order);
  const manifests = new AsyncMemo<string, LocalRecord>();
  const vertices = await Promise.all(
    graph.order.map(async (v): Promise<VertexRecord> => {
      const report = input.vertices.get(v.digest);
      const local = localSpec(v);
      let localRecord: LocalRecord | undefined;
      if (local) {
        const id = JSON.stringify([local.name, local.include, local.exclude]);
        localRecord = await manifests.get(id, () => localRecordOf(local, input.locals[local.name], input.hasher));
      }
      return {
        digest: v.digest,
        name: v.name,
        slot: slots.get(v.digest)!,
        kind: opKind(v.op) ?? 'terminal',
        op: toJSONValue(v.op),
        ignoreCache: v.metadata.ignoreCache === true,
        status: report?.status ?? 'not-started',
        ...(report?.hit ? { hit: report.hit } : {}),
        definitionKeys: recordOf(report?.definitionKeys),
        ...(report?.contentKeys ? { contentKeys: recordOf(report.contentKeys) } : {}),
        ...(report?.resultIds ? { resultIds: recordOf(report.resultIds) } : {}),
        inputs: v.inputs.map((vi, i): InputRecord => {
          const ir = report?.inputs[i];
          return {
            digest: vi.vertex.digest,
            index: vi.index,
            name: vi.vertex.name,
            slot: slots.get(vi.vertex.digest)!,
            ...(ir?.selector !== undefined ? { selector: ir.selector } : {}),
            ...(ir?.key !== undefined ? { key: ir.key } : {}),
            ...(ir?.content !== undefined ? { content: ir.content } : {}),
            ...(ir?.resultId !== undefined ? { resultId: ir.resultId } : {}),
          };
        }),
        ...(localRecord ? { local: localRecord } : {}),
      };
    }),
  );
  return {
    version: BUILD_RECORD_VERSION,
    created: (input.now ?? new Date()).toISOString(),
    noCache: input.noCache === true,
    vertices,
  };
}

async function localRecordOf(spec: LocalSpec, dir: string | undefined, hasher: ManifestSource): Promise<LocalRecord> {
  const manifest: Record<string, string> = {};
  if (dir !== undefined) {
    try {
      const entries = await hasher.manifest(dir, { include: spec.include, exclude: spec.exclude });
      for (const [path, digest] of entries) manifest[path] = digest.slice('sha256:'.length, 'sha256:'.length + 16);
    } catch {
      // A context that cannot be listed (removed since the build) only costs file-level detail.
    }
  }
  return { name: spec.name, ...(dir !== undefined ? { dir } : {}), include: spec.include, exclude: spec.exclude, manifest };
}

interface LocalSpec {
  name: string;
  include: string[];
  exclude: string[];
}

/** The name and include/exclude patterns of a `local://` source; attrs hold JSON lists. */
export function localSpec(v: Pick<Vertex, 'op'>): LocalSpec | undefined {
  const src = v.op.source;
  const id = src?.identifier;
  if (!id?.startsWith('local://')) return undefined;
  const attrs = src?.attrs ?? {};
  return {
    name: id.slice('local://'.length),
    include: jsonList(attrs['local.includepatterns'] ?? attrs['local.includepattern']),
    exclude: jsonList(attrs['local.excludepatterns']),
  };
}

function jsonList(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function recordOf(map: ReadonlyMap<number, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (map) for (const [k, v] of map) out[String(k)] = v;
  return out;
}

/** `[stage-1 2/5] RUN make` → prefix `stage-1`, step 2, keyword `RUN`. */
const STEP_NAME = /^\[(?:(.+?) )?(\d+)\/\d+\] (\S+)/;

function slotsOf(order: readonly Vertex[]): Map<Digest, string> {
  const slots = new Map<Digest, string>();
  const counts = new Map<string, number>();
  for (const v of order) {
    const custom = v.metadata.description?.[CUSTOM_NAME];
    let slot: string;
    if (custom) {
      const m = STEP_NAME.exec(custom);
      slot = m ? `${m[1] ? `${m[1]} ` : ''}#${m[2]} ${m[3]!.toUpperCase()}` : custom;
    } else {
      const kind = opKind(v.op) ?? 'terminal';
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      slot = `${kind} #${n}`;
    }
    slots.set(v.digest, slot);
  }
  return slots;
}

/** The name without its Dockerfile step counter: `[stage-1 2/5] RUN make` → `[stage-1] RUN make`. */
export function nameWithoutCounter(name: string): string {
  return name.replace(/^\[(?:(.+?) )?\d+\/\d+\] /, (_m, prefix: string | undefined) => (prefix ? `[${prefix}] ` : ''));
}
