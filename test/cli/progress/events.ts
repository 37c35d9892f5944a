// Scripted solve event sequences for the progress tests.
import type { Digest } from '../../../llb/index.ts';
import type { LogEvent, StatusEvent, VertexEvent, WarningEvent } from '../../../solver/index.ts';

export const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);
export const dg = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}`;
export const A = dg('a');
export const B = dg('b');
export const C = dg('c');

export function vertex(digest: Digest, name: string, rest: Partial<Omit<VertexEvent, 'type' | 'digest' | 'name'>> = {}): VertexEvent {
  return { type: 'vertex', digest, name, inputs: [], ...rest };
}

export function log(v: Digest, at: number, text: string, stream: 1 | 2 = 1): LogEvent {
  return { type: 'log', vertex: v, stream, data: new TextEncoder().encode(text), timestamp: at };
}

export function status(v: Digest, id: string, current: number, at: number, rest: Partial<StatusEvent> = {}): StatusEvent {
  return { type: 'status', vertex: v, id, current, timestamp: at, ...rest };
}

export function warning(v: Digest, short: string): WarningEvent {
  return { type: 'warning', vertex: v, level: 1, short };
}

/** A two-step build: a pulled base (byte progress), then a RUN that logs and succeeds. */
export function successfulBuild() {
  return [
    vertex(A, '[1/2] FROM docker.io/library/busybox', { started: T0 }),
    vertex(B, '[2/2] RUN make', { inputs: [A] }),
    status(A, 'sha256:0123456789ab', 0, T0 + 100, { total: 2_000_000, started: T0 + 100 }),
    status(A, 'sha256:0123456789ab', 2_000_000, T0 + 1300, { total: 2_000_000, started: T0 + 100, completed: T0 + 1300 }),
    vertex(A, '[1/2] FROM docker.io/library/busybox', { started: T0, completed: T0 + 1400 }),
    vertex(B, '[2/2] RUN make', { inputs: [A], started: T0 + 1500 }),
    log(B, T0 + 2012, 'compiling\nlin'),
    log(B, T0 + 2100, 'king\n'),
    vertex(B, '[2/2] RUN make', { inputs: [A], started: T0 + 1500, completed: T0 + 3600 }),
  ];
}
