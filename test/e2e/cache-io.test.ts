// Build cache shared between machines: two fresh state roots stand in for two machines. Root A
// builds and exports its cache (registry and local directory); root B imports it and must run no
// step, reading from the cache only the layers its output needs.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { bindCli, busyboxBuild, seededCli, stackLines, tempRoot, type Cli } from '../support/tsbuild-cli.ts';
import { parsePlain, type PlainStep } from './helpers.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['runc', 'skopeo', 'docker-registry'] });

const dockerfile = (reg: string): string =>
  [
    `FROM ${reg}/busybox AS build`,
    'WORKDIR /src',
    'COPY a.txt .',
    'RUN cat a.txt > out.txt && echo built >> out.txt',
    `FROM ${reg}/busybox`,
    'COPY --from=build /src/out.txt /out.txt',
    'COPY b.txt /b.txt',
    'RUN cat /b.txt /out.txt > /all.txt',
    '',
  ].join('\n');

/** Steps that ran (not CACHED), leaving out reading the build context and the export steps. */
function ran(steps: readonly PlainStep[]): string[] {
  return steps.filter((s) => !s.cached && !/^\[internal\]|^exporting|^importing|^copying files/.test(s.name)).map((s) => s.name);
}

describe.runIf(run)('build cache through registries and directories', () => {
  let registry: TestRegistry;
  let a: Cli;
  let disposeA: () => Promise<void>;
  let work: string;
  let ctx: string;
  let localCache: string;
  const roots: (() => Promise<void>)[] = [];

  async function freshRoot(): Promise<Cli> {
    const { root, dispose } = await tempRoot('tsbuild-e2e-cacheb-');
    roots.push(dispose);
    return bindCli(root);
  }

  beforeAll(async () => {
    const [seeded, reg] = await Promise.all([seededCli(), startRegistry()]);
    ({ cli: a, dispose: disposeA } = seeded);
    registry = reg;
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-cacheio-'));
    ctx = join(work, 'ctx');
    localCache = join(work, 'local-cache');
    await exec('mkdir', ['-p', ctx]);
    await writeFile(join(ctx, 'Dockerfile'), dockerfile(reg.host));
    await writeFile(join(ctx, 'a.txt'), 'alpha\n');
    await writeFile(join(ctx, 'b.txt'), 'beta\n');
    await a.ok(busyboxBuild(['-o', `type=image,name=${reg.host}/busybox:latest,push=true,store=false`]));
    await a.ok([
      'build',
      '--progress=plain',
      '--cache-to',
      `type=registry,ref=${reg.host}/cache:max,mode=max`,
      '--cache-to',
      `type=registry,ref=${reg.host}/cache:min`,
      '--cache-to',
      `type=local,dest=${localCache},mode=max`,
      ctx,
    ]);
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    await disposeA?.();
    for (const d of roots) await d();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a fresh root importing mode=max runs no step and writes the same files', async () => {
    const b = await freshRoot();
    const out = join(work, 'out-b');
    const r = await b.ok(['build', '--progress=plain', '--cache-from', `type=registry,ref=${registry.host}/cache:max`, '-o', `type=local,dest=${out}`, ctx]);
    expect(ran(parsePlain(r.stderr))).toEqual([]);
    expect(await readFile(join(out, 'all.txt'), 'utf8')).toBe('beta\nalpha\nbuilt\n');
    expect(r.stderr).toMatch(/importing cache manifest from/);
  });
});
