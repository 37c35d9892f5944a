// Choosing the snapshotter: automatic, by option, by TSBUILD_SNAPSHOTTER.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSnapshotter, overlayUnavailable } from '../../../executor/snapshot/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';

let root: string;
const saved = process.env.TSBUILD_SNAPSHOTTER;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-open-'));
});
afterEach(() => {
  if (saved === undefined) delete process.env.TSBUILD_SNAPSHOTTER;
  else process.env.TSBUILD_SNAPSHOTTER = saved;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('openSnapshotter', () => {
  it('honours TSBUILD_SNAPSHOTTER and keeps each kind in its own directory', async () => {
    process.env.TSBUILD_SNAPSHOTTER = 'native';
    const t = await openSnapshotter({ root });
    expect(t.name).toBe('native');
    expect(t.paths.root).toBe(join(root, 'snapshots', 'native'));
  });

  it('refuses an unknown snapshotter name', async () => {
    process.env.TSBUILD_SNAPSHOTTER = 'zfs';
    await expect(openSnapshotter({ root })).rejects.toThrow(/overlayfs, native or auto/);
  });

  it('picks overlayfs automatically as root', async () => {
    if (!requirePrereqs({ root: true, commands: ['getfattr', 'setfattr'] })) return;
    delete process.env.TSBUILD_SNAPSHOTTER;
    expect(await overlayUnavailable(root)).toBeNull();
    expect((await openSnapshotter({ root })).name).toBe('overlayfs');
    expect((await openSnapshotter({ root, snapshotter: 'native' })).name).toBe('native');
  });
});
