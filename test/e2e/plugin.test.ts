// A third-party frontend (examples/plugin: builds described as JSON) loaded by the real CLI,
// chosen by --frontend and by a `# syntax=` first line, building images that really run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { EXAMPLES, REPO_ROOT, seededCli, stackLines, type Cli } from '../support/tsbuild-cli.ts';
import { parsePlain, step } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });
const plugin = join(EXAMPLES, 'plugin');

describe.runIf(run).concurrent('plugin frontend', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let scratchDir: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    scratchDir = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-plugin-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  });

  test('--frontend ./examples/plugin/frontend.ts builds app.build.json into an image that runs', async () => {
    const b = await cli.ok(
      ['build', '--progress=plain', '--frontend', './examples/plugin/frontend.ts', '-f', join(plugin, 'app.build.json'), '-t', 'json-app', plugin],
      { cwd: REPO_ROOT },
    );
    const steps = parsePlain(b.stderr);
    expect(step(steps, '[json 2] COPY files/ /srv/').done).toBe(true);
    expect(step(steps, '[json 4] RUN').done).toBe(true);
    const r = await cli.ok(['run', 'json-app']);
    expect(r.stdout.trimEnd()).toBe('built by the json-build frontend in demo mode\nfiles copied by the json-build frontend');
    // The plugin's image config (env, workdir) reached the image.
    const env = await cli.ok(['run', 'json-app', 'sh', '-c', 'echo $MODE $(pwd)']);
    expect(env.stdout.trim()).toBe('demo /srv');
  });

  test('a file whose first line is `# syntax=./frontend.ts` is built by that plugin', async () => {
    // No --frontend: the directive, resolved next to the file, picks the plugin.
    await cli.ok(['build', '--progress=quiet', '-f', join(plugin, 'hello.build'), '-t', 'json-syntax', plugin], { cwd: scratchDir });
    const r = await cli.ok(['run', 'json-syntax']);
    expect(r.stdout.trim()).toBe('picked by its syntax line');
  });

  test('an error thrown inside the plugin names the plugin and the hook, without a stack', async () => {
    const bad = join(scratchDir, 'bad.build.json');
    await writeFile(bad, JSON.stringify({ from: 'busybox', steps: [{ bogus: true }] }));
    const r = await cli.run(['build', '--progress=plain', '--frontend', join(plugin, 'frontend.ts'), '-f', bad, scratchDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('frontend "json-build" (build):');
    expect(r.stderr).toContain('steps[0]: unknown step');
    expect(stackLines(r.stderr)).toEqual([]);
  });

  test('a --frontend that is not a frontend module is refused clearly', async () => {
    const notFrontend = join(scratchDir, 'not-a-frontend.ts');
    await writeFile(notFrontend, 'export const x = 1;\n');
    const r = await cli.run(['build', '--frontend', notFrontend, '-f', join(plugin, 'app.build.json'), plugin]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/must export .*"name".*"build\(ctx, input\)"/);
    expect(stackLines(r.stderr)).toEqual([]);
  });
});
