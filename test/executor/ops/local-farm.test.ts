import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { syncLinkFarm } from '../../../executor/ops/local-farm.ts';
import { PathFilter } from '../../../executor/patterns/index.ts';

describe('syncLinkFarm', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a farm kept inside its own context (the state root under the context) is not entered', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-farm-'));
    const root = join(dir, 'state');
    const farm = join(root, 'locals', 'abc');
    await mkdir(join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'src', 'a.txt'), 'a');
    await writeFile(join(dir, 'b.txt'), 'b');
    const filter = new PathFilter({ include: [], exclude: ['b.txt'] });
    await syncLinkFarm(dir, farm, filter, '', new Set([root, farm]));
    expect((await readdir(farm)).sort()).toEqual(['src']);
    expect(await readdir(join(farm, 'src'))).toEqual(['a.txt']);
    // A second sync (the farm now exists inside the context) is still finite and identical.
    await syncLinkFarm(dir, farm, filter, '', new Set([root, farm]));
    expect((await readdir(farm)).sort()).toEqual(['src']);
  });

  test('without an explicit skip list the farm itself is skipped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-farm-'));
    const farm = join(dir, 'farm');
    await writeFile(join(dir, 'x.txt'), 'x');
    await syncLinkFarm(dir, farm, new PathFilter({ include: [], exclude: ['nothing'] }));
    await syncLinkFarm(dir, farm, new PathFilter({ include: [], exclude: ['nothing'] }));
    expect((await readdir(farm)).sort()).toEqual(['x.txt']);
  });
});
