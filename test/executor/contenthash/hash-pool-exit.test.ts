// The file-hashing worker pool never keeps a process alive once its jobs are done.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runNodeScript } from '../../support/node-script.ts';
import { REPO_ROOT } from '../../support/tsbuild-cli.ts';

const pool = pathToFileURL(join(REPO_ROOT, 'executor', 'contenthash', 'hash-pool.ts')).href;

describe('hash worker pool', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsbuild-hash-pool-'));
    for (const n of [1, 2, 3]) await writeFile(join(dir, `f${n}`), 'x'.repeat(n * 1000));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test.each([1, 3])('a process that hashed %i file(s) on a pool of 4 exits by itself', async (count) => {
    const files = [1, 2, 3].slice(0, count).map((n) => join(dir, `f${n}`));
    const r = await runNodeScript(`
      import { HashPool } from ${JSON.stringify(pool)};
      const pool = new HashPool(4);
      const out = await Promise.all(${JSON.stringify(files)}.map((f) => pool.hash(f)));
      console.log(out.map((o) => o.bytes).join(','));
    `);
    expect(r).toMatchObject({ code: 0, stdout: `${files.map((_, i) => (i + 1) * 1000).join(',')}\n` });
  });

  test('a process that had small files read by the pool exits by itself', async () => {
    const r = await runNodeScript(`
      import { HashPool } from ${JSON.stringify(pool)};
      const pool = new HashPool(2);
      const out = await Promise.all([1, 2, 3].map((n) => pool.readSmall(${JSON.stringify(dir)} + '/f' + n, n * 1000)));
      console.log(out.map((o) => o.bytes.length).join(','));
      for (const o of out) o.done();
    `);
    expect(r).toMatchObject({ code: 0, stdout: '1000,2000,3000\n' });
  });
});
