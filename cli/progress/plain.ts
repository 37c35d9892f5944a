// BuildKit's plain progress format, streamed: every event is turned into the lines it adds as
// soon as it arrives, so CI logs show a step's output while it runs. Blocks are numbered `#N` in
// order of first appearance; when output switches to another step, a still-running step is
// closed with `#N ...` and the new one is announced with its name.
import type { Digest } from '../../llb/index.ts';
import type { SolveEvent } from '../../solver/index.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { failureReport } from './failure.ts';
import { formatLogOffset, formatProgress, formatSeconds } from './format.ts';
import { reduceProgress } from './reducer.ts';
import type { ProgressRenderer, TextSink } from './renderer.ts';
import { errorMessage } from './renderer.ts';
import type { ProgressEvent, ProgressState, SourceEvent, StatusRow, VertexState } from './state.ts';
import { elapsed, initialProgressState, isRunning } from './state.ts';

/** Progress rows repeat only after this share of the total, or this long, or when done. */
const minProgressDelta = 0.05;
const minTimeDelta = 5000;

/** The line-producing core: feed (previous state, next state, event), get the lines to print. */
export class PlainPrinter {
  #current: Digest | undefined;
  #printedAny = false;
  #lastStatus = new Map<string, { current: number; timestamp: number; completed: boolean }>();

  lines(prev: ProgressState, next: ProgressState, event: ProgressEvent): string[] {
    const out: string[] = [];
    const vertexOf = (d: Digest) => next.vertices.get(d);
    switch (event.type) {
      case 'vertex': {
        // Announce a step when it starts; finishing is handled below with the other outcomes.
        const v = vertexOf(event.digest);
        const before = prev.vertices.get(event.digest);
        if (v !== undefined && v.started !== undefined && before?.started === undefined) this.#switchTo(v, next, out);
        break;
      }
      case 'status': {
        const v = vertexOf(event.vertex);
        const row = v?.statuses.find((r) => r.id === event.id);
        if (v !== undefined && row !== undefined && this.#statusDue(v, row)) {
          this.#switchTo(v, next, out);
          out.push(`#${v.index} ${statusText(row)}`);
        }
        break;
      }
      case 'warning': {
        const v = vertexOf(event.vertex);
        if (v !== undefined) {
          this.#switchTo(v, next, out);
          out.push(`#${v.index} WARN: ${event.short}`);
        }
        break;
      }
      default:
        break;
    }
    for (const line of next.emitted) {
      const v = vertexOf(line.vertex);
      if (v === undefined) continue;
      this.#switchTo(v, next, out);
      out.push(`#${v.index} ${formatLogOffset(line.offset)} ${line.text}`);
    }
    for (const d of next.finished.slice(prev.finished.length)) {
      const v = vertexOf(d);
      if (v === undefined) continue;
      this.#switchTo(v, next, out);
      out.push(`#${v.index} ${outcome(v)}`);
      this.#current = undefined;
    }
    if (event.type === 'done' && next.error !== undefined) {
      const report = failureReport(next);
      if (report.length > 0) out.push('', ...report);
    }
    return out;
  }

  #switchTo(v: VertexState, state: ProgressState, out: string[]): void {
    if (this.#current === v.digest) return;
    if (this.#current !== undefined) {
      const old = state.vertices.get(this.#current);
      if (old !== undefined && isRunning(old)) out.push(`#${old.index} ...`);
    }
    if (this.#printedAny) out.push('');
    this.#printedAny = true;
    out.push(`#${v.index} ${v.name}`);
    this.#current = v.digest;
  }

  #statusDue(v: VertexState, row: StatusRow): boolean {
    const key = `${v.digest} ${row.id}`;
    const last = this.#lastStatus.get(key);
    const completed = row.completed !== undefined;
    let due = true;
    if (last !== undefined) {
      if (last.completed) due = false;
      else if (!completed) {
        const progress = row.total ? (row.current - last.current) / row.total : 0;
        due = progress >= minProgressDelta || row.timestamp - last.timestamp >= minTimeDelta;
      }
    }
    if (due) this.#lastStatus.set(key, { current: row.current, timestamp: row.timestamp, completed });
    return due;
  }
}

/** `sha256:abc 12.3MB / 45.6MB 1.2s done` (without the `#N`). */
export function statusText(row: StatusRow): string {
  const amount = formatProgress(row.current, row.total);
  let text = row.id;
  if (amount !== '') text += ` ${amount}`;
  if (row.started !== undefined) {
    const ms = (row.completed ?? row.timestamp) - row.started;
    if (ms > 10) text += ` ${formatSeconds(ms)}`;
  }
  if (row.completed !== undefined) text += ' done';
  return text;
}

function outcome(v: VertexState): string {
  if (v.canceled) return 'CANCELED';
  if (v.error !== undefined) return `ERROR: ${v.error}`;
  if (v.cached) return 'CACHED';
  return v.started === undefined ? 'DONE' : `DONE ${formatSeconds(elapsed(v, v.completed ?? 0))}`;
}

export function createPlainRenderer(out: TextSink, clock: Clock = systemClock): ProgressRenderer {
  const printer = new PlainPrinter();
  let state = initialProgressState({ now: clock() });
  const apply = (event: ProgressEvent) => {
    const next = reduceProgress(state, event, clock());
    const lines = printer.lines(state, next, event);
    state = next;
    if (lines.length > 0) out.write(lines.join('\n') + '\n');
  };
  return {
    onEvent(event: SolveEvent | SourceEvent) {
      apply(event);
    },
    async done(error?: unknown) {
      apply({ type: 'done', error: errorMessage(error) });
    },
  };
}
