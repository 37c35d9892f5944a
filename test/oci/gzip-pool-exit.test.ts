// The gzip worker pool never keeps a process alive once its jobs are done, including the
// workers it started but never gave a job (one small layer on a machine with several cores).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runNodeScript } from '../support/node-script.ts';
import { REPO_ROOT } from '../support/tsbuild-cli.ts';

const pool = pathToFileURL(join(REPO_ROOT, 'oci', 'compression', 'gzip-pool.ts')).href;

describe('gzip worker pool', () => {
  test('a process that gzipped one buffer exits by itself', async () => {
    const r = await runNodeScript(`
      import { gzipOnWorker, gzipPoolSize } from ${JSON.stringify(pool)};
      const out = await gzipOnWorker(new TextEncoder().encode('hello'), 6);
      console.log(out.length > 0, gzipPoolSize());
    `);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/^true \d+\n$/);
  });

  test('a process that gzipped several buffers at once exits by itself', async () => {
    const r = await runNodeScript(`
      import { gzipOnWorker } from ${JSON.stringify(pool)};
      const outs = await Promise.all([1, 2, 3, 4, 5].map((n) => gzipOnWorker(new Uint8Array(n * 1000), 6)));
      console.log(outs.length);
    `);
    expect(r).toMatchObject({ code: 0, stdout: '5\n' });
  });
});
