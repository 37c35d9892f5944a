// Reading the merged view of overlay layers from their directories: exact where the layers alone
// decide, `unsure` where a link or a possibly opaque directory could change the answer.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWhiteout, lookupInLayers } from '../../../executor/rootpath/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsbuild-layered-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function layers(name: string, build: (top: string, bottom: string) => Promise<void>): Promise<string[]> {
  const top = join(tmp, name, 'top');
  const bottom = join(tmp, name, 'bottom');
  await mkdir(top, { recursive: true });
  await mkdir(bottom, { recursive: true });
  await build(top, bottom);
  return [top, bottom];
}

describe('lookupInLayers', () => {
  it('finds the topmost entry when no layer above holds its directories', async () => {
    const l = await layers('plain', async (top, bottom) => {
      await mkdir(join(bottom, 'etc'));
      await writeFile(join(bottom, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
      await writeFile(join(top, 'f'), 'x');
    });
    const e = await lookupInLayers(l, 'etc/passwd');
    expect(e.kind).toBe('found');
    expect(e.kind === 'found' && e.path).toBe(join(l[1]!, 'etc', 'passwd'));
    expect((await lookupInLayers(l, 'etc/group')).kind).toBe('absent');
    const missing = await lookupInLayers(l, 'srv/www/site');
    expect(missing.kind === 'absent' && missing.ancestors.length).toBe(0);
  });

  it('says an entry may be hidden when a directory on the way is also in a layer above (it could be opaque)', async () => {
    const l = await layers('maybe-opaque', async (top, bottom) => {
      await mkdir(join(bottom, 'srv', 'app', 'data'), { recursive: true });
      await mkdir(join(top, 'srv', 'app'), { recursive: true });
    });
    const e = await lookupInLayers(l, 'srv/app/data');
    expect(e.kind === 'found' && e.mayBeHidden).toBe(true);
    const sure = await lookupInLayers(l, 'srv');
    expect(sure.kind === 'found' && sure.mayBeHidden).toBe(false);
    // Absent is exact whatever the directories above are: opacity only hides.
    expect((await lookupInLayers(l, 'srv/app/other')).kind).toBe('absent');
  });

  it('is unsure through a symbolic link, and never follows one out of the layers', async () => {
    const l = await layers('links', async (top, bottom) => {
      await mkdir(join(bottom, 'var'));
      await symlink('/etc', join(bottom, 'var', 'run'));
    });
    expect((await lookupInLayers(l, 'var/run/passwd')).kind).toBe('unsure');
    expect((await lookupInLayers(l, 'var/run')).kind).toBe('found');
  });

  it.runIf(requirePrereqs({ root: true }))('shows a whiteout as the entry, and is unsure below one', async () => {
    const l = await layers('whiteouts', async (top, bottom) => {
      await mkdir(join(bottom, 'gone', 'sub'), { recursive: true });
      execFileSync('mknod', [join(top, 'gone'), 'c', '0', '0']);
    });
    const e = await lookupInLayers(l, 'gone');
    expect(e.kind === 'found' && isWhiteout(e.st)).toBe(true);
    expect((await lookupInLayers(l, 'gone/sub')).kind).toBe('unsure');
  });
});
