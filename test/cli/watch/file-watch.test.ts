// The file watcher is replaced after every build (the build may read other files now): an edit
// made while the new watcher is still scanning must not fall between the two.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileWatch, type WatchSet } from '../../../cli/watch/file-watch.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-file-watch-'));
  // Enough files that the new watcher's scan takes a moment.
  for (let d = 0; d < 40; d++) {
    await mkdir(join(dir, `d${d}`));
    for (let f = 0; f < 50; f++) await writeFile(join(dir, `d${d}`, `f${f}.txt`), `${d}/${f}`);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const whole = (): WatchSet => ({ files: [], contexts: [{ root: dir, ignores: () => false }] });

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('FileWatch', () => {
  it('sees an edit made while the watch set is being replaced', async () => {
    const seen: string[] = [];
    const fw = new FileWatch((p) => seen.push(p));
    try {
      await fw.set(whole());
      const target = join(dir, 'd0', 'f0.txt');
      for (let round = 0; round < 3; round++) {
        seen.length = 0;
        const replaced = fw.set(whole());
        await writeFile(target, `edit ${round}`);
        await replaced;
        expect(await eventually(() => seen.includes(target), 3000)).toBe(true);
      }
    } finally {
      await fw.close();
    }
  });
});
