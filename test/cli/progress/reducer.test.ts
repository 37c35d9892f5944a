import { describe, expect, it } from 'vitest';
import { initialProgressState, reduceAll, reduceProgress, type ProgressState } from '../../../cli/progress/index.ts';
import { A, B, C, T0, log, status, successfulBuild, vertex, warning } from './events.ts';

const start = () => initialProgressState({ now: T0 });

describe('progress reducer', () => {
  it('keeps vertices in first-seen order with 1-based indexes and counts finished ones', () => {
    const s = reduceAll(start(), successfulBuild());
    expect([...s.order]).toEqual([A, B]);
    expect(s.vertices.get(A)?.index).toBe(1);
    expect(s.vertices.get(B)?.index).toBe(2);
    expect([...s.finished]).toEqual([A, B]);
    expect([s.completed, s.total]).toEqual([2, 2]);
    expect(s.vertices.get(B)?.inputs).toEqual([A]);
    expect(s.startedAt).toBe(T0);
  });

  it('counts a vertex as done only once, however often it is re-sent', () => {
    const done = vertex(A, 'x', { started: T0, completed: T0 + 5 });
    const s = reduceAll(start(), [done, done, done]);
    expect([s.completed, s.total, [...s.finished]]).toEqual([1, 1, [A]]);
  });

  it('assembles log lines across chunks and keeps only the last N', () => {
    let s = initialProgressState({ now: T0, logTailSize: 3 });
    s = reduceProgress(s, vertex(A, 'run', { started: T0 }), T0);
    s = reduceProgress(s, log(A, T0 + 10, 'one\ntw'), T0 + 10);
    expect(s.emitted.map((l) => l.text)).toEqual(['one']);
    s = reduceProgress(s, log(A, T0 + 20, 'o\nthree\r\nfour\nfi'), T0 + 20);
    expect(s.emitted.map((l) => l.text)).toEqual(['two', 'three', 'four']);
    const v = s.vertices.get(A)!;
    expect(v.logTail.map((l) => l.text)).toEqual(['two', 'three', 'four']);
    expect(new TextDecoder().decode(v.partialLog)).toBe('fi');
    expect(v.logTail[0]?.offset).toBe(20);
  });

  it('decodes a UTF-8 character split across two chunks', () => {
    const bytes = new TextEncoder().encode('naïve\n');
    let s = reduceProgress(start(), vertex(A, 'run', { started: T0 }), T0);
    s = reduceProgress(s, { type: 'log', vertex: A, stream: 1, data: bytes.subarray(0, 3), timestamp: T0 }, T0);
    s = reduceProgress(s, { type: 'log', vertex: A, stream: 1, data: bytes.subarray(3), timestamp: T0 }, T0);
    expect(s.vertices.get(A)?.logTail.map((l) => l.text)).toEqual(['naïve']);
  });

  it('keeps only the last state of a carriage-return progress line', () => {
    let s = reduceProgress(start(), vertex(A, 'run', { started: T0 }), T0);
    s = reduceProgress(s, log(A, T0, '10%\r50%\r100%\n'), T0);
    expect(s.emitted.map((l) => l.text)).toEqual(['100%']);
  });

  it('flushes an unterminated last line when the step finishes', () => {
    const s = reduceAll(start(), [vertex(A, 'run', { started: T0 }), log(A, T0 + 1, 'no newline'), vertex(A, 'run', { started: T0, completed: T0 + 2 })]);
    expect(s.emitted.map((l) => l.text)).toEqual(['no newline']);
    expect(s.vertices.get(A)?.partialLog.length).toBe(0);
    expect(s.vertices.get(A)?.logTail.map((l) => l.text)).toEqual(['no newline']);
  });

  it('clears emitted lines on the next event', () => {
    let s = reduceAll(start(), [vertex(A, 'run', { started: T0 }), log(A, T0, 'x\n')]);
    s = reduceProgress(s, { type: 'tick' }, T0 + 50);
    expect(s.emitted).toEqual([]);
    expect(s.now).toBe(T0 + 50);
  });

  it('updates status rows in place by id, keeping first-seen order', () => {
    const s = reduceAll(start(), [status(A, 'layer1', 0, T0, { total: 100 }), status(A, 'layer2', 5, T0), status(A, 'layer1', 60, T0 + 10)]);
    const rows = s.vertices.get(A)!.statuses;
    expect(rows.map((r) => [r.id, r.current, r.total])).toEqual([
      ['layer1', 60, 100],
      ['layer2', 5, undefined],
    ]);
  });

  it('records cached, failed and canceled outcomes', () => {
    const s = reduceAll(start(), [
      vertex(A, 'a', { started: T0, completed: T0, cached: true }),
      vertex(B, 'b', { started: T0, completed: T0 + 1, error: 'exit code: 2' }),
      vertex(C, 'c', { started: T0, completed: T0 + 1, error: 'rpc error: context canceled' }),
    ]);
    expect(s.vertices.get(A)).toMatchObject({ cached: true, canceled: false });
    expect(s.vertices.get(B)).toMatchObject({ error: 'exit code: 2', canceled: false });
    expect(s.vertices.get(C)?.canceled).toBe(true);
  });

  it('marks steps still running as canceled when the build fails', () => {
    let s: ProgressState = reduceAll(start(), [
      vertex(A, 'a', { started: T0 }),
      vertex(B, 'b', { started: T0, completed: T0 + 1, error: 'boom' }),
      vertex(C, 'c'),
    ]);
    s = reduceProgress(s, { type: 'done', error: 'boom' }, T0 + 900);
    expect(s.done).toBe(true);
    expect(s.error).toBe('boom');
    expect(s.finishedAt).toBe(T0 + 900);
    expect(s.vertices.get(A)).toMatchObject({ canceled: true, completed: T0 + 900 });
    // Never started: stays pending, so the header reads (2/3).
    expect(s.vertices.get(C)?.started).toBeUndefined();
    expect([s.completed, s.total]).toEqual([2, 3]);
  });

  it('collects warnings globally and per vertex', () => {
    const s = reduceAll(start(), [vertex(A, 'a'), warning(A, 'deprecated syntax')]);
    expect(s.warnings.map((w) => w.short)).toEqual(['deprecated syntax']);
    expect(s.vertices.get(A)?.warnings).toHaveLength(1);
  });

  it('attaches source lines whether they arrive before or after the vertex', () => {
    const source = { file: 'Dockerfile', lines: [{ number: 2, text: 'RUN make' }], highlight: [2] };
    const before = reduceAll(start(), [{ type: 'source', vertex: A, sourceLines: source }, vertex(A, 'a')]);
    expect(before.vertices.get(A)?.sourceLines).toEqual(source);
    expect(before.pendingSources.size).toBe(0);
    const after = reduceAll(start(), [vertex(A, 'a'), { type: 'source', vertex: A, sourceLines: source }]);
    expect(after.vertices.get(A)?.sourceLines).toEqual(source);
    expect(after.total).toBe(1);
  });

  it('does not mutate the state it is given', () => {
    const s0 = reduceAll(start(), [vertex(A, 'a', { started: T0 })]);
    const snapshot = JSON.stringify({ order: s0.order, v: [...s0.vertices.values()] });
    reduceAll(s0, [log(A, T0, 'x\n'), vertex(A, 'a', { completed: T0 + 1 }), { type: 'done' }]);
    expect(JSON.stringify({ order: s0.order, v: [...s0.vertices.values()] })).toBe(snapshot);
    expect(s0.done).toBe(false);
  });

  it('keeps an older state as it was when it is reduced again along another path', () => {
    const s0 = reduceAll(start(), [vertex(A, 'a', { started: T0 })]);
    const left = reduceAll(s0, [vertex(B, 'b'), vertex(A, 'a', { completed: T0 + 1 })]);
    const right = reduceAll(s0, [vertex(C, 'c'), vertex(B, 'b2', { cached: true })]);
    expect([...s0.order]).toEqual([A]);
    expect([...left.order]).toEqual([A, B]);
    expect([...right.order]).toEqual([A, C, B]);
    expect([s0.vertices.has(B), s0.vertices.get(A)?.completed]).toEqual([false, undefined]);
    expect([left.vertices.has(C), left.vertices.get(A)?.completed, left.vertices.get(B)?.name]).toEqual([false, T0 + 1, 'b']);
    expect([right.vertices.get(A)?.completed, right.vertices.get(B)?.name, right.vertices.get(B)?.index]).toEqual([undefined, 'b2', 3]);
    expect([[...left.finished], [...right.finished]]).toEqual([[A], [B]]);
  });

  it('keeps thousands of vertices in first-seen order, each counted once', () => {
    // Past 32 and 1,024 vertices the shared table grows a level: indexes and order must hold across.
    const digests = (n: number) => Array.from({ length: n }, (_, i): typeof A => `sha256:${i.toString(16).padStart(64, '0')}`);
    let s = start();
    for (const d of digests(5_000)) s = reduceProgress(s, vertex(d, d.slice(-6), { started: T0 }), T0);
    for (const d of digests(5_000).reverse()) s = reduceProgress(s, vertex(d, d.slice(-6), { completed: T0 + 1 }), T0 + 1);
    expect([s.total, s.completed, s.order.length, s.finished.length]).toEqual([5_000, 5_000, 5_000, 5_000]);
    expect(s.vertices.get(digests(5_000)[1_234]!)).toMatchObject({ index: 1_235, completed: T0 + 1 });
    expect([...s.vertices.keys()]).toEqual(digests(5_000));
    expect(s.finished.slice(0, 2)).toEqual(digests(5_000).reverse().slice(0, 2));
  });
});
