// scripts/example.sh, the README's first command: a fresh state root gets the busybox seed, the
// example image, the image list and the image's output; a second run skips the seed and is cached.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { REPO_ROOT, tempRoot } from '../support/tsbuild-cli.ts';
import { APP_OUTPUT } from './helpers.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['runc'] });

async function example(root: string): Promise<{ stdout: string; stderr: string }> {
  return exec(join(REPO_ROOT, 'scripts', 'example.sh'), [], {
    env: { ...process.env, TSBUILD_ROOT: root, CI: '1' },
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

describe.runIf(run)('scripts/example.sh', () => {
  let root: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ root, dispose } = await tempRoot());
  });
  afterAll(async () => dispose?.());

  test('first run: seeds busybox, builds the app, lists the images, runs the app', async () => {
    const { stdout, stderr } = await example(root);
    expect(stderr).toContain('seeding the local image store');
    expect(stdout).toMatch(/^NAME\s+ID\s+UPDATED$/m);
    expect(stdout).toMatch(/^docker\.io\/library\/busybox:latest\s/m);
    expect(stdout).toMatch(/^docker\.io\/library\/app:latest\s/m);
    expect(stdout.trimEnd().endsWith(APP_OUTPUT.trimEnd())).toBe(true);
  });

  test('second run: the seed is skipped and every build step is cached', async () => {
    const { stdout, stderr } = await example(root);
    expect(stderr).toContain('busybox:latest is already in the local image store');
    expect(stderr).not.toContain('seeding the local image store');
    for (const name of ['install dependencies', 'copy sources', 'assemble']) {
      expect(stderr).toMatch(new RegExp(`#(\\d+) ${name}\\n#\\1 CACHED`));
    }
    expect(stdout.trimEnd().endsWith(APP_OUTPUT.trimEnd())).toBe(true);
  });
});
