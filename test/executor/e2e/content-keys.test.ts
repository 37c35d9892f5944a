// Local contexts are read in place and consumers key on the content of what they read.
import { mkdtemp, readFile, rm, writeFile, mkdir, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copy, image, local, merge, mkdir as mkdirAction, mkfile, scratch, type State } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, storeBusybox, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc', 'tar'] });
const BASE = 'tsbuild.test/busybox:1';

describe.runIf(run).each(['overlayfs', 'native'] as const)('content keys on %s', (snapshotter) => {
  let h: Harness;
  let ctxDir: string;
  const locals = () => ({ locals: { ctx: ctxDir } });

  beforeAll(async () => {
    ctxDir = await mkdtemp(join(tmpdir(), 'tsbuild-ctx-'));
    await writeFile(join(ctxDir, 'a.txt'), 'A1');
    await writeFile(join(ctxDir, 'b.txt'), 'B1');
    await writeFile(join(ctxDir, 'unrelated.txt'), 'U1');
    await mkdir(join(ctxDir, 'src'));
    await writeFile(join(ctxDir, 'src', 'main.c'), 'int main(){}');
    await writeFile(join(ctxDir, 'src', 'notes.log'), 'log');
    h = await harness({ snapshotter, locals: { ctx: ctxDir } });
    await storeBusybox(h.root, BASE);
  });
  afterAll(async () => {
    await h?.close();
    await rm(ctxDir, { recursive: true, force: true });
  });

  /** Two independent COPY steps, each followed by a RUN that reads what it copied. */
  function graph(): State {
    const ctx = local('ctx');
    const a = image(BASE)
      .file(copy(ctx, '/a.txt', '/a.txt'), { customName: 'COPY a' })
      .run(['/bin/sh', '-c', 'cat /a.txt > /ra'], { customName: 'RUN a' })
      .root();
    const b = scratch().file(copy(ctx, '/b.txt', '/b.txt'), { customName: 'COPY b' });
    return merge([a, b], { customName: 'MERGE' });
  }

  const ranSteps = (names: string[]) => names.filter((n) => !n.includes('://')).sort();

  test('first build runs everything; files are copied from the context in place', async () => {
    const b = await build(h, graph());
    const result = ok(b);
    expect(ranSteps(b.ran)).toEqual(['COPY a', 'COPY b', 'MERGE', 'RUN a']);
    const dir = await h.executor.readableDir(result);
    try {
      expect(await readFile(join(dir.path, 'ra'), 'utf8')).toBe('A1');
      expect(await readFile(join(dir.path, 'b.txt'), 'utf8')).toBe('B1');
    } finally {
      await dir.release();
    }
  });

  test('changing a file no COPY selects reruns nothing', async () => {
    await writeFile(join(ctxDir, 'unrelated.txt'), 'U2');
    await h.reopen(locals());
    const b = await build(h, graph());
    ok(b);
    expect(ranSteps(b.ran)).toEqual([]);
  });

  test('touching a selected file without changing it reruns nothing', async () => {
    await utimes(join(ctxDir, 'a.txt'), new Date(), new Date(Date.now() + 5000));
    await h.reopen(locals());
    const b = await build(h, graph());
    ok(b);
    expect(ranSteps(b.ran)).toEqual([]);
  });

  test('changing a selected file reruns only the steps that read it', async () => {
    await writeFile(join(ctxDir, 'b.txt'), 'B2');
    await h.reopen(locals());
    let b = await build(h, graph());
    ok(b);
    expect(ranSteps(b.ran)).toEqual(['COPY b', 'MERGE']);

    await writeFile(join(ctxDir, 'a.txt'), 'A2');
    await h.reopen(locals());
    b = await build(h, graph());
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'ra'), 'utf8')).toBe('A2');
    } finally {
      await dir.release();
    }
    expect(ranSteps(b.ran)).toEqual(['COPY a', 'MERGE', 'RUN a']);
  });

  test('exclude patterns of a local source hide files from consumers and from keys', async () => {
    const g = () => scratch().file(copy(local('ctx', { exclude: ['**/*.log'] }), '/src', '/app'), { customName: 'COPY src' });
    let b = await build(h, g());
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'app', 'main.c'), 'utf8')).toBe('int main(){}');
      await expect(readFile(join(dir.path, 'app', 'notes.log'))).rejects.toThrow();
    } finally {
      await dir.release();
    }
    await writeFile(join(ctxDir, 'src', 'notes.log'), 'more log');
    await h.reopen(locals());
    b = await build(h, g());
    ok(b);
    expect(ranSteps(b.ran)).toEqual([]);
  });

  test('file actions through the solver, with chown by name', async () => {
    const s = image(BASE).file(mkdirAction('/data', 0o750, { chown: 'app:staff' }).mkfile('/data/f', 0o640, 'hello', { chown: 'app' }), {
      customName: 'FILES',
    });
    const b = await build(h, s);
    const dir = await h.executor.readableDir(ok(b));
    try {
      const { stat } = await import('node:fs/promises');
      const d = await stat(join(dir.path, 'data'));
      const f = await stat(join(dir.path, 'data', 'f'));
      expect([d.uid, d.gid, d.mode & 0o777]).toEqual([1000, 50, 0o750]);
      expect([f.uid, f.gid, f.mode & 0o777]).toEqual([1000, 1000, 0o640]);
      expect(await readFile(join(dir.path, 'data', 'f'), 'utf8')).toBe('hello');
    } finally {
      await dir.release();
    }
  });

  test('a missing copy source fails with the path', async () => {
    const b = await build(h, scratch().file(copy(local('ctx'), '/nope.txt', '/x')));
    expect(b.outcome.ok).toBe(false);
    if (!b.outcome.ok) expect(b.outcome.failure.message).toContain('nope.txt');
  });

  test('mkfile on scratch needs no runner', async () => {
    const b = await build(h, scratch().file(mkfile('/hello', 0o644, 'hi')));
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'hello'), 'utf8')).toBe('hi');
    } finally {
      await dir.release();
    }
  });
});
