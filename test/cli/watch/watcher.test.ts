import { describe, expect, it } from 'vitest';
import { Watcher, type Timers, type WatcherState } from '../../../cli/watch/watcher.ts';

/** Timers the test fires by hand. */
function manualTimers() {
  let next = 0;
  const pending = new Map<number, () => void>();
  const timers: Timers = {
    set(fn) {
      const id = ++next;
      pending.set(id, fn);
      return id;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    get count() {
      return pending.size;
    },
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
  };
}

/** Builds whose end the test decides. */
function controllableBuilds() {
  const runs: { signal: AbortSignal; resolve: (v: number) => void; reject: (e: unknown) => void }[] = [];
  const build = (signal: AbortSignal) =>
    new Promise<number>((resolve, reject) => {
      runs.push({ signal, resolve, reject });
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  return { runs, build };
}

const flush = () => new Promise((r) => setImmediate(r));

function setup() {
  const t = manualTimers();
  const b = controllableBuilds();
  const states: WatcherState[] = [];
  const ends: unknown[] = [];
  const w = new Watcher<number>({
    build: b.build,
    timers: t.timers,
    onStateChange: (s) => states.push(s),
    onBuildEnd: (r) => ends.push(r),
  });
  return { t, b, w, states, ends };
}

describe('watcher state machine', () => {
  it('builds at start, then waits for changes', async () => {
    const { b, w } = setup();
    w.start();
    expect(w.state).toBe('running');
    expect(b.runs).toHaveLength(1);
    b.runs[0]!.resolve(1);
    await flush();
    expect(w.state).toBe('watching');
  });

  it('debounces a burst of changes into one build', async () => {
    const { t, b, w } = setup();
    w.start();
    b.runs[0]!.resolve(1);
    await flush();
    w.fileChanged();
    w.fileChanged();
    w.fileChanged();
    expect(w.state).toBe('debouncing');
    expect(t.count).toBe(1);
    t.fire();
    expect(w.state).toBe('running');
    expect(b.runs).toHaveLength(2);
  });

  it('a change during a build cancels it and starts the next after the debounce', async () => {
    const { t, b, w, ends } = setup();
    w.start();
    w.fileChanged();
    expect(w.state).toBe('queued');
    expect(b.runs[0]!.signal.aborted).toBe(true);
    await flush();
    expect(ends[0]).toMatchObject({ ok: false, aborted: true });
    expect(w.state).toBe('debouncing');
    t.fire();
    expect(w.state).toBe('running');
    expect(b.runs).toHaveLength(2);
    expect(b.runs[1]!.signal.aborted).toBe(false);
  });

  it('stays up after a failed build', async () => {
    const { t, b, w, ends } = setup();
    w.start();
    b.runs[0]!.reject(new Error('RUN failed'));
    await flush();
    expect(ends[0]).toMatchObject({ ok: false, aborted: false });
    expect(w.state).toBe('watching');
    w.fileChanged();
    t.fire();
    expect(b.runs).toHaveLength(2);
  });

  it('rebuild skips the debounce when idle', async () => {
    const { b, w } = setup();
    w.start();
    b.runs[0]!.resolve(1);
    await flush();
    w.rebuild();
    expect(w.state).toBe('running');
    expect(b.runs).toHaveLength(2);
  });

  it('stop cancels the build in flight and starts nothing more', async () => {
    const { t, b, w } = setup();
    w.start();
    await w.stop();
    expect(b.runs[0]!.signal.aborted).toBe(true);
    expect(w.state).toBe('aborted');
    w.fileChanged();
    t.fire();
    expect(b.runs).toHaveLength(1);
  });

  it('passes through the documented states in order', async () => {
    const { t, b, w, states } = setup();
    w.start();
    w.fileChanged();
    await flush();
    t.fire();
    b.runs[1]!.resolve(2);
    await flush();
    expect(states).toEqual(['running', 'queued', 'debouncing', 'running', 'watching']);
  });
});
