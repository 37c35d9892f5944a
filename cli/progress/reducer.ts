// The one interpreter of solve events: (state, event, now) → state. Pure: the clock is passed
// in, nothing is mutated, and the same events give the same state (so renderers are testable
// from scripted event arrays, and the Ink view, plain lines and JSON agree on what happened).
import type { Digest } from '../../llb/index.ts';
import type { LogEvent, StatusEvent, VertexEvent, WarningEvent } from '../../solver/index.ts';
import type { LogLine, ProgressEvent, ProgressState, SourceEvent, StatusRow, VertexState } from './state.ts';
import { isFinished } from './state.ts';

const decoder = new TextDecoder();
const empty = new Uint8Array(0);
const canceledSuffix = 'context canceled';

export function reduceProgress(state: ProgressState, event: ProgressEvent, now: number): ProgressState {
  const base: ProgressState = {
    ...state,
    now,
    startedAt: state.startedAt ?? (event.type === 'tick' ? undefined : now),
    emitted: state.emitted.length === 0 ? state.emitted : [],
  };
  switch (event.type) {
    case 'vertex':
      return onVertex(base, event);
    case 'status':
      return onStatus(base, event);
    case 'log':
      return onLog(base, event);
    case 'warning':
      return onWarning(base, event);
    case 'source':
      return onSource(base, event);
    case 'done':
      return onDone(base, event.error);
    case 'tick':
      return base;
  }
}

/** Folds a whole event list, each at its own time (`now(i)`), for tests and replays. */
export function reduceAll(
  state: ProgressState,
  events: readonly ProgressEvent[],
  now: (event: ProgressEvent, index: number) => number = (e) => eventTime(e) ?? state.now,
): ProgressState {
  return events.reduce((s, e, i) => reduceProgress(s, e, now(e, i)), state);
}

/** The time an event carries, if any. */
export function eventTime(e: ProgressEvent): number | undefined {
  switch (e.type) {
    case 'vertex':
      return e.completed ?? e.started;
    case 'status':
    case 'log':
      return e.timestamp;
    default:
      return undefined;
  }
}

function newVertex(state: ProgressState, digest: Digest, name: string): VertexState {
  return {
    digest,
    index: state.order.length + 1,
    name,
    inputs: [],
    cached: false,
    canceled: false,
    statuses: [],
    logTail: [],
    partialLog: empty,
    partialStream: 1,
    warnings: [],
    sourceLines: state.pendingSources.get(digest),
  };
}

/** Puts `next` in place of the vertex, keeping order, counts and the finished list right. */
function put(state: ProgressState, prev: VertexState | undefined, next: VertexState): ProgressState {
  const vertices = state.vertices.set(next);
  const fresh = prev === undefined;
  const nowFinished = isFinished(next) && (fresh || !isFinished(prev));
  let pendingSources = state.pendingSources;
  if (fresh && pendingSources.has(next.digest)) {
    const rest = new Map(pendingSources);
    rest.delete(next.digest);
    pendingSources = rest;
  }
  return {
    ...state,
    vertices,
    pendingSources,
    order: fresh ? vertices.order : state.order,
    total: fresh ? state.total + 1 : state.total,
    finished: nowFinished ? state.finished.push(next.digest) : state.finished,
    completed: nowFinished ? state.completed + 1 : state.completed,
  };
}

function vertexOrNew(state: ProgressState, digest: Digest, name = ''): [VertexState | undefined, VertexState] {
  const prev = state.vertices.get(digest);
  return [prev, prev ?? newVertex(state, digest, name)];
}

function onVertex(state: ProgressState, e: VertexEvent): ProgressState {
  const [prev, v] = vertexOrNew(state, e.digest, e.name);
  const canceled = v.canceled || e.canceled === true || (e.error?.endsWith(canceledSuffix) ?? false);
  let next: VertexState = {
    ...v,
    name: e.name || v.name,
    inputs: e.inputs.length > 0 ? e.inputs : v.inputs,
    started: e.started ?? v.started,
    completed: e.completed ?? v.completed,
    cached: v.cached || e.cached === true,
    canceled,
    error: e.error ?? v.error,
  };
  let s = state;
  if (isFinished(next) && next.partialLog.length > 0) {
    // The step is over: its unterminated last line will not grow any more.
    const line = logLine(next, next.partialStream, next.partialLog, e.completed ?? state.now);
    next = { ...next, partialLog: empty, logTail: tail([...next.logTail, line], state.logTailSize) };
    s = { ...s, emitted: [...s.emitted, line] };
  }
  if (next.started !== undefined && (s.startedAt === undefined || next.started < s.startedAt)) {
    s = { ...s, startedAt: next.started };
  }
  return put(s, prev, next);
}

function onStatus(state: ProgressState, e: StatusEvent): ProgressState {
  const [prev, v] = vertexOrNew(state, e.vertex);
  const i = v.statuses.findIndex((r) => r.id === e.id);
  const old = i >= 0 ? v.statuses[i] : undefined;
  const row: StatusRow = {
    id: e.id,
    name: e.name ?? old?.name,
    current: e.current,
    total: e.total ?? old?.total,
    timestamp: e.timestamp,
    started: e.started ?? old?.started,
    completed: e.completed ?? old?.completed,
  };
  const statuses = i >= 0 ? v.statuses.map((r, j) => (j === i ? row : r)) : [...v.statuses, row];
  return put(state, prev, { ...v, statuses });
}

function onLog(state: ProgressState, e: LogEvent): ProgressState {
  const [prev, v] = vertexOrNew(state, e.vertex);
  // Split on the newline byte, which never occurs inside a multi-byte UTF-8 sequence, so a
  // character cut across two chunks is decoded whole.
  const data = v.partialLog.length > 0 ? concat(v.partialLog, e.data) : e.data;
  const lines: LogLine[] = [];
  let start = 0;
  for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
    lines.push(logLine(v, e.stream, data.subarray(start, i), e.timestamp));
    start = i + 1;
  }
  const next: VertexState = {
    ...v,
    partialLog: data.slice(start),
    partialStream: e.stream,
    logTail: lines.length > 0 ? tail([...v.logTail, ...lines], state.logTailSize) : v.logTail,
  };
  return put({ ...state, emitted: [...state.emitted, ...lines] }, prev, next);
}

function onWarning(state: ProgressState, e: WarningEvent): ProgressState {
  const [prev, v] = vertexOrNew(state, e.vertex);
  const w = { vertex: e.vertex, level: e.level, short: e.short, detail: e.detail, url: e.url };
  return put({ ...state, warnings: [...state.warnings, w] }, prev, { ...v, warnings: [...v.warnings, w] });
}

function onSource(state: ProgressState, e: SourceEvent): ProgressState {
  const v = state.vertices.get(e.vertex);
  if (v === undefined) {
    const pendingSources = new Map(state.pendingSources);
    pendingSources.set(e.vertex, e.sourceLines);
    return { ...state, pendingSources };
  }
  return put(state, v, { ...v, sourceLines: e.sourceLines });
}

function onDone(state: ProgressState, error: string | undefined): ProgressState {
  // Whatever was still running when the build ended did not finish: show it as canceled, as
  // BuildKit does, so the counts and the view settle.
  let s: ProgressState = { ...state, done: true, error: error ?? state.error, finishedAt: state.now };
  for (const d of state.order) {
    const v = s.vertices.get(d);
    if (v === undefined || isFinished(v) || v.started === undefined || error === undefined) continue;
    s = onVertex(s, { type: 'vertex', digest: d, name: v.name, inputs: v.inputs, canceled: true, completed: state.now });
  }
  return s;
}

function logLine(v: VertexState, stream: 1 | 2, bytes: Uint8Array, timestamp: number): LogLine {
  let text = decoder.decode(bytes);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  // A progress bar redrawn with carriage returns: only its last state is a line worth keeping.
  const cr = text.lastIndexOf('\r');
  if (cr >= 0) text = text.slice(cr + 1);
  return { vertex: v.digest, stream, text, offset: v.started === undefined ? 0 : Math.max(0, timestamp - v.started) };
}

function tail<T>(items: T[], n: number): T[] {
  return items.length > n ? items.slice(items.length - n) : items;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
