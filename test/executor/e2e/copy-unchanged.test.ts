// A context file is copied only if it is what the COPY's content key covered: a write between the
// key and the copy fails the build; a new hard link to it (a link farm of another local source
// changes its link count and ctime, not its bytes) does not.
import { linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copy, local, scratch } from '../../../llb/index.ts';
import type { SolveEvent } from '../../../solver/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['tar'] });

describe.runIf(run).each(['overlayfs', 'native'] as const)('copying a context file on %s', (snapshotter) => {
  let h: Harness;
  let ctxDir: string;
  let outside: string;

  beforeAll(async () => {
    ctxDir = await mkdtemp(join(tmpdir(), 'tsbuild-ctx-'));
    outside = await mkdtemp(join(tmpdir(), 'tsbuild-links-'));
    await writeFile(join(ctxDir, 'main.c'), 'int main(){}');
    h = await harness({ snapshotter, locals: { ctx: ctxDir } });
  });
  afterAll(async () => {
    await h?.close();
    await rm(ctxDir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  /** Runs `touch` when the COPY starts: after its key was computed, before it reads anything. */
  const whenCopying = (name: string, touch: () => void) => (e: SolveEvent) => {
    if (e.type === 'vertex' && e.name === name && e.started !== undefined && e.completed === undefined) touch();
  };

  test('a new link to the file after its key was taken is not a change', async () => {
    const g = scratch().file(copy(local('ctx'), '/main.c', '/main.c'), { customName: 'COPY linked' });
    const b = await build(h, g, { onEvent: whenCopying('COPY linked', () => linkSync(join(ctxDir, 'main.c'), join(outside, 'main.c'))) });
    unlinkSync(join(outside, 'main.c'));
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'main.c'), 'utf8')).toBe('int main(){}');
    } finally {
      await dir.release();
    }
  });

  test('a write after its key was taken fails the copy', async () => {
    const g = scratch().file(copy(local('ctx'), '/main.c', '/edited.c'), { customName: 'COPY edited' });
    const b = await build(h, g, { onEvent: whenCopying('COPY edited', () => writeFileSync(join(ctxDir, 'main.c'), 'int main(){return 1;}')) });
    expect(b.outcome.ok).toBe(false);
    if (!b.outcome.ok) expect(b.outcome.failure.message).toContain('/main.c in the build context "ctx" changed while it was being copied');
  });
});
