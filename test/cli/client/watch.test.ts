// watch() from the sources: the first build, a rebuild after a context edit, a broken Dockerfile
// reported as a BuildInputError and the fix rebuilding, and close() ending the events.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BuildInputError, watch, type BuildFinishedEvent, type WatchEvent } from '../../../cli/client/index.ts';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tsbuild-client-watch-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The next build-finished event, with the events read on the way. */
async function nextFinished(events: AsyncIterator<WatchEvent>, seen: WatchEvent[]): Promise<BuildFinishedEvent> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) throw new Error('events ended before a build finished');
    seen.push(value);
    if (value.type === 'build-finished') return value;
  }
}

test('rebuilds on an edit, reports a broken build file, and stops on close()', async () => {
  const ctx = join(work, 'ctx');
  const out = join(work, 'out');
  await mkdir(ctx);
  await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\n');
  await writeFile(join(ctx, 'a.txt'), 'one\n');
  const w = watch({ file: ctx, root: join(work, 'state'), outputs: [`type=local,dest=${out}`], debounceMs: 20 });
  const events = w.events[Symbol.asyncIterator]();
  const seen: WatchEvent[] = [];
  try {
    const first = await nextFinished(events, seen);
    expect(first).toMatchObject({ build: 1, ok: true });
    expect(seen[0]).toEqual({ type: 'build-started', build: 1 });
    expect(seen.some((e) => e.type === 'vertex' && e.name.includes('COPY a.txt'))).toBe(true);
    expect(await readFile(join(out, 'a.txt'), 'utf8')).toBe('one\n');

    await writeFile(join(ctx, 'a.txt'), 'two\n');
    expect(await nextFinished(events, seen)).toMatchObject({ build: 2, ok: true });
    expect(await readFile(join(out, 'a.txt'), 'utf8')).toBe('two\n');

    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPPY a.txt /a.txt\n');
    const broken = await nextFinished(events, seen);
    expect(broken).toMatchObject({ build: 3, ok: false, canceled: false });
    expect(broken.ok || broken.error).toBeInstanceOf(BuildInputError);
    expect(broken.ok || broken.error.message).toMatch(/Dockerfile:2.*COPPY/);

    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /b.txt\n');
    expect(await nextFinished(events, seen)).toMatchObject({ build: 4, ok: true });
    expect(await readFile(join(out, 'b.txt'), 'utf8')).toBe('two\n');
  } finally {
    await w.close();
  }
  expect(await events.next()).toEqual({ value: undefined, done: true });
});
