// A daemon's SolveStatus messages as tsbuild's SolveEvents: the same vertices, statuses, logs and
// warnings, so that the tty, plain and rawjson renderers show a remote build as a local one.
import type { Digest } from '../../llb/index.ts';
import type { SolveStatus } from '../../remote/index.ts';
import type { SolveEvent } from '../../solver/index.ts';

/** BuildKit ends the vertices it gave up on with this error when another one failed. */
const CANCELED = /context canceled|canceled$/;

export function statusToEvents(): (status: SolveStatus) => SolveEvent[] {
  return (status) => {
    const events: SolveEvent[] = [];
    for (const v of status.vertexes) {
      const canceled = v.error !== undefined && CANCELED.test(v.error);
      events.push({
        type: 'vertex',
        digest: v.digest as Digest,
        name: v.name,
        inputs: v.inputs as Digest[],
        ...(v.started !== undefined ? { started: v.started } : {}),
        ...(v.completed !== undefined ? { completed: v.completed } : {}),
        ...(v.cached ? { cached: true } : {}),
        ...(canceled ? { canceled: true } : {}),
        ...(v.error !== undefined ? { error: v.error } : {}),
        ...(v.progressGroup ? { progressGroup: { id: v.progressGroup.id, name: v.progressGroup.name, ...(v.progressGroup.weak ? { weak: true } : {}) } } : {}),
      });
    }
    for (const s of status.statuses) {
      events.push({
        type: 'status',
        vertex: s.vertex as Digest,
        id: s.id,
        ...(s.name ? { name: s.name } : {}),
        ...(s.total ? { total: s.total } : {}),
        current: s.current,
        timestamp: s.timestamp ?? Date.now(),
        ...(s.started !== undefined ? { started: s.started } : {}),
        ...(s.completed !== undefined ? { completed: s.completed } : {}),
      });
    }
    for (const l of status.logs) {
      events.push({ type: 'log', vertex: l.vertex as Digest, stream: l.stream === 2 ? 2 : 1, data: l.data, timestamp: l.timestamp ?? Date.now() });
    }
    for (const w of status.warnings) {
      events.push({
        type: 'warning',
        vertex: w.vertex as Digest,
        level: w.level,
        short: w.short,
        ...(w.detail.length ? { detail: w.detail.join('\n') } : {}),
        ...(w.url ? { url: w.url } : {}),
      });
    }
    return events;
  };
}
