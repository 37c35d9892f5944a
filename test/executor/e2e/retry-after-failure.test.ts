// One executor kept across builds (as a long-lived process keeps it): a step that failed for a
// reason since fixed must run on the next build, not replay the remembered failure.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { image } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, storeBusybox, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });
const BASE = 'tsbuild.test/busybox:1';

/**
 * PATH with every directory that holds runc replaced by a copy of links to its other entries:
 * runc is "not installed" until `install()` links it in.
 */
async function pathWithoutRunc(scratch: string): Promise<{ path: string; install(): Promise<void> }> {
  const shadows: string[] = [];
  const dirs = await Promise.all(
    (process.env.PATH ?? '').split(delimiter).map(async (dir, i) => {
      if (!existsSync(join(dir, 'runc'))) return dir;
      const shadow = join(scratch, `bin-${i}`);
      await mkdir(shadow);
      for (const name of await readdir(dir)) if (name !== 'runc') await symlink(join(dir, name), join(shadow, name));
      shadows.push(shadow);
      return shadow;
    }),
  );
  const real = (process.env.PATH ?? '').split(delimiter).find((d) => existsSync(join(d, 'runc')))!;
  return {
    path: dirs.join(delimiter),
    install: async () => {
      for (const s of shadows) await symlink(join(real, 'runc'), join(s, 'runc'));
    },
  };
}

describe.runIf(run)('a failure is not remembered by a long-lived executor', () => {
  let h: Harness;
  let scratch: string;
  const savedPath = process.env.PATH;

  beforeAll(async () => {
    h = await harness({ snapshotter: 'native' });
    await storeBusybox(h.root, BASE);
    scratch = await mkdtemp(join(tmpdir(), 'tsbuild-retry-'));
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await h?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('RUN fails while the runtime is missing, and runs once it is installed', async () => {
    const shadow = await pathWithoutRunc(scratch);
    const step = image(BASE).run(['/bin/sh', '-c', 'echo ran > /out']).root();
    process.env.PATH = shadow.path;
    try {
      const first = await build(h, step);
      expect(first.outcome.ok).toBe(false);
      if (!first.outcome.ok) expect(first.outcome.failure.message).toMatch(/runc container runtime, which was not found/);

      await shadow.install();
      const second = await build(h, step);
      const dir = await h.executor.readableDir(ok(second));
      try {
        expect(await readFile(join(dir.path, 'out'), 'utf8')).toBe('ran\n');
      } finally {
        await dir.release();
      }
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
