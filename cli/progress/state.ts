// The progress state: everything a renderer shows, built only by the reducer (reducer.ts) from
// the solver's events. Renderers read it; they never interpret events themselves.
import type { Digest } from '../../llb/index.ts';
import type { SolveEvent } from '../../solver/index.ts';
import { AppendList } from './append-list.ts';
import { VertexTable } from './vertex-table.ts';

/**
 * Source lines of the build description a vertex came from (a Dockerfile instruction), supplied
 * by the command that knows the file. On failure renderers show them with `highlight` marked.
 */
export interface SourceLines {
  readonly file: string;
  readonly lines: readonly { readonly number: number; readonly text: string }[];
  /** Line numbers (1-based, as in `lines`) to mark with `>>>`. */
  readonly highlight: readonly number[];
}

/**
 * Attaches source lines to a vertex. Not a solver event: the command that read the Dockerfile
 * sends it (from the definition's source map); it may arrive before or after the vertex's events.
 */
export interface SourceEvent {
  readonly type: 'source';
  readonly vertex: Digest;
  readonly sourceLines: SourceLines;
}

/** The build is over: `error` is the solve's failure message, if it failed. */
export interface DoneEvent {
  readonly type: 'done';
  readonly error?: string;
}

/** Nothing happened but time passed: lets live timers move. */
export interface TickEvent {
  readonly type: 'tick';
}

export type ProgressEvent = SolveEvent | SourceEvent | DoneEvent | TickEvent;

export interface LogLine {
  readonly vertex: Digest;
  readonly stream: 1 | 2;
  readonly text: string;
  /** Milliseconds since the vertex started (0 when it had not). */
  readonly offset: number;
}

export interface StatusRow {
  readonly id: string;
  readonly name?: string;
  readonly current: number;
  readonly total?: number;
  readonly timestamp: number;
  readonly started?: number;
  readonly completed?: number;
}

export interface WarningEntry {
  readonly vertex: Digest;
  readonly level: number;
  readonly short: string;
  readonly detail?: string;
  readonly url?: string;
}

export interface VertexState {
  readonly digest: Digest;
  /** 1-based, in order of first appearance: the `#N` of plain output. */
  readonly index: number;
  readonly name: string;
  readonly inputs: readonly Digest[];
  readonly started?: number;
  readonly completed?: number;
  readonly cached: boolean;
  readonly canceled: boolean;
  readonly error?: string;
  /** Byte or item progress rows, in order of first appearance. */
  readonly statuses: readonly StatusRow[];
  /** The last complete output lines (at most `ProgressState.logTailSize`). */
  readonly logTail: readonly LogLine[];
  /** Bytes after the last newline: a line still being written. Never contains `\n`. */
  readonly partialLog: Uint8Array;
  readonly partialStream: 1 | 2;
  readonly warnings: readonly WarningEntry[];
  readonly sourceLines?: SourceLines;
}

export interface ProgressState {
  /** The clock's value at the last event (epoch milliseconds, from the caller's clock). */
  readonly now: number;
  /** When the build started: the first vertex start, else the first event. */
  readonly startedAt?: number;
  /** Set by the done event: freezes the header's timer. */
  readonly finishedAt?: number;
  /** Shared with the states before it (one event costs O(log n), not a copy of every vertex). */
  readonly vertices: VertexTable;
  /** Digests in order of first appearance. */
  readonly order: AppendList<Digest>;
  /** Digests in the order they finished: append-only, for `<Static>`. */
  readonly finished: AppendList<Digest>;
  readonly warnings: readonly WarningEntry[];
  readonly total: number;
  readonly completed: number;
  readonly done: boolean;
  readonly error?: string;
  readonly logTailSize: number;
  /**
   * Output lines completed by the last event applied (including a partial line flushed when its
   * vertex finished). Streaming renderers print these, so each line is printed exactly once.
   */
  readonly emitted: readonly LogLine[];
  /** Source lines that arrived before their vertex. */
  readonly pendingSources: ReadonlyMap<Digest, SourceLines>;
}

export function initialProgressState(options: { logTailSize?: number; now?: number } = {}): ProgressState {
  return {
    now: options.now ?? 0,
    vertices: VertexTable.empty(),
    order: AppendList.empty(),
    finished: AppendList.empty(),
    warnings: [],
    total: 0,
    completed: 0,
    done: false,
    logTailSize: options.logTailSize ?? 10,
    emitted: [],
    pendingSources: new Map(),
  };
}

/** Finished: completed, served from cache, failed or canceled. */
export function isFinished(v: VertexState): boolean {
  return v.completed !== undefined || v.cached || v.canceled || v.error !== undefined;
}

export function isRunning(v: VertexState): boolean {
  return v.started !== undefined && !isFinished(v);
}

/** A failed (not merely canceled) vertex. */
export function isFailed(v: VertexState): boolean {
  return v.error !== undefined && !v.canceled;
}

/** How long a vertex ran, or has been running at `now`. */
export function elapsed(v: VertexState, now: number): number {
  if (v.started === undefined) return 0;
  return Math.max(0, (v.completed ?? now) - v.started);
}
