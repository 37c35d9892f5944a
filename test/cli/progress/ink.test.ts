import { act, createElement as h } from 'react';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ProgressStore, initialProgressState, reduceAll } from '../../../cli/progress/index.ts';
import { ProgressApp, ProgressView, headerText } from '../../../cli/progress/ink/index.ts';
import { A, B, C, T0, log, status, successfulBuild, vertex, warning } from './events.ts';
import { FakeTime } from './fake-timers.ts';

// eslint-disable-next-line no-control-regex -- ANSI escapes are what it strips
const ansi = /\u001b\[[0-9;?]*[A-Za-z]/g;
const plain = (s: string | undefined) => (s ?? '').replace(ansi, '');
const lines = (s: string | undefined) =>
  plain(s)
    .split('\n')
    .map((l) => l.trimEnd());

describe('ink progress view', () => {
  it('shows running steps with timers, byte progress and an output window', () => {
    const state = reduceAll(
      initialProgressState({ now: T0 }),
      [
        vertex(A, '[1/2] FROM docker.io/library/busybox', { started: T0 }),
        status(A, 'sha256:0123456789ab', 1_048_576, T0 + 1200, { total: 2_097_152, started: T0 }),
        vertex(B, '[2/2] RUN make', { started: T0 + 100 }),
        log(B, T0 + 500, '1\n2\n3\n4\n5\n6\n7\npartial'),
        vertex(C, '[3/3] RUN later'),
      ],
      () => T0 + 2300,
    );
    const { lastFrame } = render(h(ProgressView, { state, windowSize: 3, width: 100 }));
    const out = lines(lastFrame());
    expect(out[0]).toBe('[+] Building 2.3s (0/3)');
    expect(out[1]).toMatch(/^ => \[1\/2\] FROM docker\.io\/library\/busybox +2\.3s$/);
    expect(out[2]).toMatch(/^ => => sha256:0123456789ab 1MB \/ 2MB +1\.2s$/);
    expect(out[3]).toMatch(/^ => \[2\/2\] RUN make +2\.2s$/);
    expect(out.slice(4, 7)).toEqual([' => => # 6', ' => => # 7', ' => => # partial']);
    // Not started yet: not shown.
    expect(plain(lastFrame())).not.toContain('RUN later');
    // Timers are right-aligned to the terminal width.
    expect(out[1]?.length).toBe(100);
  });

  it('lists the build warnings under the summary once the build is done, not before', () => {
    const events = [
      vertex(A, '[4/6] RUN rm -rf /cache', { started: T0, completed: T0 + 100 }),
      warning(A, 'step 4 (RUN rm -rf /cache) deletes 3MB that step 2 added'),
    ];
    const running = reduceAll(initialProgressState({ now: T0 }), events, () => T0 + 200);
    expect(plain(render(h(ProgressView, { state: running, width: 100 })).lastFrame())).not.toContain('WARNING');
    const done = reduceAll(initialProgressState({ now: T0 }), [...events, { type: 'done' }], () => T0 + 200);
    const out = lines(render(h(ProgressView, { state: done, width: 100 })).lastFrame()).filter((l) => l !== '');
    expect(out[out.length - 1]).toBe('WARNING: step 4 (RUN rm -rf /cache) deletes 3MB that step 2 added');
  });

  it('moves finished steps above the live area with CACHED/ERROR/CANCELED prefixes, and marks FINISHED', () => {
    const state = reduceAll(
      initialProgressState({ now: T0 }),
      [vertex(A, 'base', { started: T0, completed: T0, cached: true }), vertex(B, 'build', { started: T0, completed: T0 + 4000 }), { type: 'done' }],
      () => T0 + 5000,
    );
    const out = lines(render(h(ProgressView, { state, width: 100 })).lastFrame()).filter((l) => l !== '');
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^ => CACHED base +0\.0s$/);
    expect(out[1]).toMatch(/^ => build +4\.0s$/);
    expect(out[2]).toBe('[+] Building 5.0s (2/2) FINISHED');
    const failed = reduceAll(initialProgressState({ now: T0 }), [
      vertex(A, 'a', { started: T0, completed: T0 + 100, error: 'exit code: 1' }),
      vertex(B, 'b', { started: T0, completed: T0 + 100, canceled: true }),
    ]);
    const text = plain(render(h(ProgressView, { state: failed, width: 100 })).lastFrame());
    expect(text).toMatch(/ => ERROR a +0\.1s/);
    expect(text).toMatch(/ => CANCELED b +0\.1s/);
  });

  it('shows the failing step output and source lines after a failed build', () => {
    const state = reduceAll(initialProgressState({ now: T0 }), [
      {
        type: 'source',
        vertex: B,
        sourceLines: {
          file: 'Dockerfile',
          lines: [
            { number: 1, text: 'FROM busybox' },
            { number: 2, text: 'RUN make' },
          ],
          highlight: [2],
        },
      },
      vertex(B, '[2/2] RUN make', { started: T0 }),
      log(B, T0 + 20, 'make: *** No rule to make target\n'),
      vertex(B, '[2/2] RUN make', { started: T0, completed: T0 + 30, error: 'exit code: 2' }),
      { type: 'done', error: 'failed to solve' },
    ]);
    const out = lines(render(h(ProgressView, { state, width: 100 })).lastFrame());
    const i = out.indexOf(' > [2/2] RUN make:');
    expect(i).toBeGreaterThan(0);
    expect(out.slice(i + 1, i + 8)).toEqual([
      '0.020 make: *** No rule to make target',
      '------',
      'Dockerfile:2',
      '--------------------',
      '   1 |     FROM busybox',
      '   2 | >>> RUN make',
      '--------------------',
    ]);
  });

  it('header counts and time', () => {
    const s = reduceAll(initialProgressState({ now: T0 }), successfulBuild());
    expect(headerText(s)).toBe('[+] Building 3.6s (2/2)');
  });
});

// React flushes store updates inside act() synchronously, so frames are checked without waiting.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('progress store bridge', () => {
  it('publishes at most maxFps snapshots a second and always the final one', () => {
    const time = new FakeTime(T0);
    const store = new ProgressStore({ clock: time.clock, timers: time, maxFps: 10, tickMs: 0 });
    const app = render(h(ProgressApp, { store }));
    act(() => store.dispatch(vertex(A, 'step one', { started: T0 })));
    expect(store.publishCount).toBe(1);
    expect(plain(app.lastFrame())).toContain('step one');
    for (let i = 0; i < 50; i++) {
      act(() => time.advance(1));
      act(() => store.dispatch(log(A, time.now, `line ${i}\n`)));
    }
    // 50 events within 50 ms: held back until the 100 ms frame interval has passed.
    expect(store.publishCount).toBe(1);
    expect(plain(app.lastFrame())).not.toContain('line 49');
    act(() => time.advance(50));
    expect(store.publishCount).toBe(2);
    expect(plain(app.lastFrame())).toContain('=> => # line 49');
    act(() => store.dispatch(vertex(A, 'step one', { started: T0, completed: time.now })));
    expect(store.publishCount).toBe(2);
    act(() => store.dispatch({ type: 'done' }));
    expect(store.publishCount).toBe(3);
    expect(plain(app.lastFrame())).toContain('FINISHED');
    expect(time.pending).toBe(0);
    app.unmount();
  });

  it('advances live timers with ticks while the build runs', () => {
    const time = new FakeTime(T0);
    const store = new ProgressStore({ clock: time.clock, timers: time, maxFps: 15, tickMs: 100 });
    const app = render(h(ProgressApp, { store }));
    act(() => store.dispatch(vertex(A, 'long step', { started: T0 })));
    act(() => time.advance(1000));
    expect(lines(app.lastFrame())[0]).toBe('[+] Building 1.0s (0/1)');
    expect(lines(app.lastFrame())[1]).toMatch(/long step +1\.0s$/);
    act(() => store.dispatch({ type: 'done' }));
    expect(time.pending).toBe(0);
    app.unmount();
  });
});
