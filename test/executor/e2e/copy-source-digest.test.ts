// A COPY from another step's result keys on the content it copies. Results never change, so that
// digest is remembered per result: a rebuild in a new process does not mount and hash the result
// again. The proof: a byte changed behind tsbuild's back inside the stored result is not seen.
import { readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { prune } from '../../../executor/index.ts';
import { copy, local, mkdir, scratch } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['tar'] });

/** Paths of files named `name` under `dir`, at any depth. */
function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, name));
    else if (e.isFile() && e.name === name) out.push(p);
  }
  return out;
}

describe.runIf(run).each(['overlayfs', 'native'] as const)('the digest of a COPY source result on %s', (snapshotter) => {
  let h: Harness;
  let ctxDir: string;

  beforeAll(async () => {
    ctxDir = await mkdtemp(join(tmpdir(), 'tsbuild-ctx-'));
    await writeFile(join(ctxDir, 'seed'), 'seed');
    h = await harness({ snapshotter, locals: { ctx: ctxDir } });
  });
  afterAll(async () => {
    await h?.close();
    await rm(ctxDir, { recursive: true, force: true });
  });

  test('is remembered across processes, and forgotten with the result', async () => {
    // The producer descends from a local context, so the COPY below is matched by content.
    const producer = scratch()
      .file(copy(local('ctx'), '/seed', '/seed'), { customName: 'COPY seed' })
      .file(mkdir('/out', 0o755).mkfile('/out/remembered-file', 0o644, 'made by the producer'), { customName: 'producer' });
    const g = scratch().file(copy(producer, '/out/remembered-file', '/file'), { customName: 'COPY --from' });

    const first = await build(h, g);
    ok(first);
    expect(first.ran).toContain('COPY --from');
    const digests = join(h.root, 'refs', 'digests');
    const remembered = await readdir(digests);
    expect(remembered).toHaveLength(1);

    // Changed behind tsbuild's back: a rebuild that hashed the result again would see it and copy.
    const stored = findFiles(join(h.root, 'snapshots'), 'remembered-file');
    expect(stored.length).toBeGreaterThan(0);
    for (const f of stored) writeFileSync(f, 'changed in place');
    await h.reopen();
    const second = await build(h, g);
    ok(second);
    // (A local context is read on every build.)
    expect(second.ran.filter((name) => !name.startsWith('local://'))).toEqual([]);

    // A prune that drops the result drops what was remembered of it.
    await h.executor.close();
    await prune(h.root, { all: true });
    await h.reopen();
    expect(await readdir(digests).catch(() => [])).toEqual([]);
  });

  test('of a local context is not remembered: an edit is seen', async () => {
    const g = scratch().file(copy(local('ctx'), '/seed', '/seed-copy'), { customName: 'COPY local' });
    ok(await build(h, g));
    await writeFile(join(ctxDir, 'seed'), 'edited');
    await h.reopen();
    const again = await build(h, g);
    ok(again);
    expect(again.ran).toContain('COPY local');
  });
});
