// The example app, end to end through the real CLI: seeded busybox base, the build.ts and the
// Dockerfile versions of the same image, running it, the image list, and the build cache.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { EXAMPLES, seededCli, type Cli } from '../support/tsbuild-cli.ts';
import { APP_OUTPUT, copyOf, parsePlain, step } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });
const app = join(EXAMPLES, 'app');

describe.runIf(run)('example app', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  const dirs: string[] = [];

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    await cli.ok(['build', '--progress=quiet', '-f', join(app, 'build.ts'), '-t', 'app:latest', app]);
  });
  afterAll(async () => {
    await dispose?.();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('the build.ts image runs and prints what every layer holds', async () => {
    const r = await cli.ok(['run', 'app']);
    expect(r.stdout.trimEnd()).toBe(APP_OUTPUT.trimEnd());
  });

  test('the Dockerfile builds the same program', async () => {
    const b = await cli.ok(['build', '--progress=plain', '-t', 'app-df', app]);
    const steps = parsePlain(b.stderr);
    expect(step(steps, '[deps 4/4] RUN').done || step(steps, '[deps 4/4] RUN').cached).toBe(true);
    expect(b.stderr).toContain('naming to docker.io/library/app-df:latest');
    const r = await cli.ok(['run', 'app-df']);
    expect(r.stdout.trimEnd()).toBe(APP_OUTPUT.trimEnd());
  });

  test('`tsbuild images` lists the base and both images', async () => {
    const r = await cli.ok(['images']);
    const names = r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0])
      .filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['docker.io/library/busybox:latest', 'docker.io/library/app:latest', 'docker.io/library/app-df:latest']));
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+ID\s+UPDATED/);
  });

  test('`tsbuild run` with a command replaces CMD and keeps the image env and workdir', async () => {
    const r = await cli.ok(['run', 'app', 'sh', '-c', 'echo $APP_ENV $(pwd)']);
    expect(r.stdout.trim()).toBe('production /app');
  });

  test('a rebuild is fully cached: every op step CACHED, no RUN output', async () => {
    const b = await cli.ok(['build', '--progress=plain', '-f', join(app, 'build.ts'), '-t', 'app:latest', app]);
    const steps = parsePlain(b.stderr);
    expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining(['install dependencies', 'copy sources', 'write config', 'assemble']));
    // Local sources are re-read on every build (their contents decide the keys), as in BuildKit.
    // The export is a step of its own that always runs (writing no new data when nothing changed).
    expect(step(steps, 'exporting to image').done).toBe(true);
    for (const s of steps.filter((s) => !s.name.startsWith('local://') && !s.name.startsWith('exporting')))
      expect({ name: s.name, cached: s.cached }).toEqual({ name: s.name, cached: true });
    for (const s of steps) expect(s.logs).toEqual([]);

    const df = await cli.ok(['build', '--progress=plain', '-t', 'app-df', app]);
    const dfSteps = parsePlain(df.stderr);
    expect(dfSteps.length).toBeGreaterThan(4);
    for (const s of dfSteps.filter((s) => !s.name.startsWith('[internal] load build context') && !s.name.startsWith('exporting'))) {
      expect({ name: s.name, cached: s.cached }).toEqual({ name: s.name, cached: true });
    }
  });

  test('editing one source file reruns only the copy steps after it', async () => {
    const ctx = await copyOf(app);
    dirs.push(ctx);
    // A build.ts outside the repository still imports 'tsbuild'.
    await cli.ok(['build', '--progress=quiet', '-f', join(ctx, 'build.ts'), '-t', 'app-copy', ctx]);
    await cli.ok(['build', '--progress=quiet', '-t', 'app-copy-df', ctx]);
    const greet = join(ctx, 'src', 'greet.sh');
    await writeFile(greet, (await readFile(greet, 'utf8')) + 'echo "edited"\n');

    const b = await cli.ok(['build', '--progress=plain', '-f', join(ctx, 'build.ts'), '-t', 'app-copy', ctx]);
    const steps = parsePlain(b.stderr);
    expect(step(steps, 'install dependencies').cached).toBe(true);
    expect(step(steps, 'install dependencies').logs).toEqual([]);
    expect(step(steps, 'write config').cached).toBe(true);
    expect(step(steps, 'copy sources')).toMatchObject({ cached: false, done: true });
    expect(step(steps, 'compile')).toMatchObject({ cached: false, done: true });
    expect(step(steps, 'assemble')).toMatchObject({ cached: false, done: true });
    const r = await cli.ok(['run', 'app-copy']);
    expect(r.stdout.trimEnd()).toBe(`${APP_OUTPUT}\nedited`);

    const df = await cli.ok(['build', '--progress=plain', '-t', 'app-copy-df', ctx]);
    const dfSteps = parsePlain(df.stderr);
    expect(step(dfSteps, '[deps 4/4] RUN').cached).toBe(true);
    expect(step(dfSteps, '[deps 3/4] COPY deps.txt').cached).toBe(true);
    expect(step(dfSteps, 'COPY src/ /src/')).toMatchObject({ cached: false, done: true });
    expect(step(dfSteps, '[build 4/4] RUN')).toMatchObject({ cached: false, done: true });
    // NAME did not change: its copy runs again on the new parent layer (its input changed).
    expect(step(dfSteps, 'COPY NAME /app/NAME').done).toBe(true);
    const rdf = await cli.ok(['run', 'app-copy-df']);
    expect(rdf.stdout.trimEnd()).toBe(`${APP_OUTPUT}\nedited`);
  });
});
