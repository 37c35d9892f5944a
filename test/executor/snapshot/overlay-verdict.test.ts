// The remembered overlay verdict: trusted only for the same kernel and filesystem.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlayKnownToWork, rememberOverlayWorks } from '../../../executor/snapshot/overlay-verdict.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-verdict-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('overlay verdict', () => {
  it('is unknown until remembered, then known', async () => {
    expect(await overlayKnownToWork(dir)).toBe(false);
    await rememberOverlayWorks(dir);
    expect(await overlayKnownToWork(dir)).toBe(true);
  });

  it('is not trusted when written for another kernel', async () => {
    await rememberOverlayWorks(dir);
    const saved = await readFile(join(dir, '.overlay-ok'), 'utf8');
    await writeFile(join(dir, '.overlay-ok'), saved.replace(/^v1 \S+/, 'v1 0.0.0-other'));
    expect(await overlayKnownToWork(dir)).toBe(false);
  });
});
