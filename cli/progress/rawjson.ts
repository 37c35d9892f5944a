// `--progress=rawjson`: one JSON object per event, in BuildKit's SolveStatus shape and field
// names (byte fields base64, times RFC 3339), so tools that read `buildctl --progress=rawjson`
// can read ours. Only the changed item is in each object, as in BuildKit's stream.
import type { SolveEvent } from '../../solver/index.ts';
import { rfc3339 } from './format.ts';
import type { ProgressRenderer, TextSink } from './renderer.ts';
import type { SourceEvent } from './state.ts';

export interface SolveStatusJson {
  vertexes?: {
    digest: string;
    inputs?: string[];
    name?: string;
    started?: string;
    completed?: string;
    cached?: boolean;
    error?: string;
    progressGroup?: { id: string; name: string; weak?: boolean };
  }[];
  statuses?: {
    id: string;
    vertex: string;
    name?: string;
    total?: number;
    current: number;
    timestamp: string;
    started?: string;
    completed?: string;
  }[];
  logs?: { vertex: string; stream?: number; data: string; timestamp: string }[];
  warnings?: { vertex: string; level?: number; short?: string; detail?: string[]; url?: string }[];
}

const base64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const time = (ms: number | undefined) => (ms === undefined ? undefined : rfc3339(ms));

/** The SolveStatus object for one event (undefined for events BuildKit has no field for). */
export function toSolveStatus(e: SolveEvent | SourceEvent): SolveStatusJson | undefined {
  switch (e.type) {
    case 'vertex':
      return {
        vertexes: [
          {
            digest: e.digest,
            inputs: e.inputs.length > 0 ? [...e.inputs] : undefined,
            name: e.name || undefined,
            started: time(e.started),
            completed: time(e.completed),
            cached: e.cached || undefined,
            // BuildKit has no canceled flag: a canceled vertex carries the context's error.
            error: e.error ?? (e.canceled ? 'context canceled' : undefined),
            progressGroup: e.progressGroup,
          },
        ],
      };
    case 'status':
      return {
        statuses: [
          {
            id: e.id,
            vertex: e.vertex,
            name: e.name,
            total: e.total || undefined,
            current: e.current,
            timestamp: rfc3339(e.timestamp),
            started: time(e.started),
            completed: time(e.completed),
          },
        ],
      };
    case 'log':
      return { logs: [{ vertex: e.vertex, stream: e.stream, data: base64(e.data), timestamp: rfc3339(e.timestamp) }] };
    case 'warning':
      return {
        warnings: [
          {
            vertex: e.vertex,
            level: e.level || undefined,
            short: base64(e.short),
            detail: e.detail === undefined ? undefined : [base64(e.detail)],
            url: e.url,
          },
        ],
      };
    case 'source':
      return undefined;
  }
}

export function createRawJsonRenderer(out: TextSink): ProgressRenderer {
  return {
    onEvent(event) {
      const status = toSolveStatus(event);
      if (status !== undefined) out.write(JSON.stringify(status) + '\n');
    },
    async done() {},
  };
}
