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

  test('a push to the same registry mounts the layers: nothing is downloaded', async () => {
    const b = await freshRoot();
    const name = `${registry.host}/app:from-cache`;
    const r = await b.ok([
      'build',
      '--progress=plain',
      '--cache-from',
      `${registry.host}/cache:max`,
      '-o',
      `type=image,name=${name},push=true,store=false`,
      ctx,
    ]);
    expect(ran(parsePlain(r.stderr))).toEqual([]);
    const layers = await cacheLayers('cache:max');
    const local = new Set(await readdir(join(b.root, 'content', 'blobs', 'sha256')));
    expect(layers.filter((d) => local.has(d.slice(7)))).toEqual([]);
    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`]);
    expect((JSON.parse(stdout) as { Layers: string[] }).Layers.length).toBeGreaterThanOrEqual(4);
  });

  test('without a cache, a pushed image mounts its base layers from the base repository', async () => {
    const b = await freshRoot();
    const only = join(work, 'ctx-base');
    await exec('mkdir', ['-p', only]);
    await writeFile(join(only, 'Dockerfile'), `FROM ${registry.host}/busybox\nENV GREETING=hi\n`);
    const r = await b.ok(['build', '--progress=plain', '-o', `type=image,name=${registry.host}/base-only:1,push=true,store=false`, only]);
    expect(r.stderr).not.toMatch(/pulling/);
    const base = JSON.parse((await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/busybox`])).stdout) as {
      layers: { digest: string }[];
    };
    const local = new Set(await readdir(join(b.root, 'content', 'blobs', 'sha256')));
    expect(base.layers.filter((l) => local.has(l.digest.slice(7)))).toEqual([]);
  });

  test('a changed source file reruns only the steps that read it', async () => {
    const b = await freshRoot();
    const changed = join(work, 'ctx-changed');
    await exec('cp', ['-r', ctx, changed]);
    await writeFile(join(changed, 'b.txt'), 'beta two\n');
    const out = join(work, 'out-changed');
    const r = await b.ok(['build', '--progress=plain', '--cache-from', `${registry.host}/cache:max`, '-o', `type=local,dest=${out}`, changed]);
    expect(ran(parsePlain(r.stderr))).toEqual(['[stage-1 3/4] COPY b.txt /b.txt', '[stage-1 4/4] RUN cat /b.txt /out.txt > /all.txt']);
    expect(await readFile(join(out, 'all.txt'), 'utf8')).toBe('beta two\nalpha\nbuilt\n');
  });

  test('mode=min holds the final stage only: another stage it copies from reruns; mode=max holds every step', async () => {
    const withMin = await freshRoot();
    const min = await withMin.ok(['build', '--progress=plain', '--cache-from', `${registry.host}/cache:min`, ctx]);
    expect(ran(parsePlain(min.stderr))).toEqual([
      '[build 2/4] WORKDIR /src',
      '[build 3/4] COPY a.txt .',
      '[build 4/4] RUN cat a.txt > out.txt && echo built >> out.txt',
    ]);
    expect((await cacheLayers('cache:min')).length).toBeLessThan((await cacheLayers('cache:max')).length);
  });

  test('a local cache directory imports the same way', async () => {
    const b = await freshRoot();
    const r = await b.ok(['build', '--progress=plain', '--cache-from', `type=local,src=${localCache}`, ctx]);
    expect(ran(parsePlain(r.stderr))).toEqual([]);
    const index = JSON.parse(await readFile(join(localCache, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name'])).toEqual(['latest']);
  });

  test('skopeo reads the exported manifest: an OCI manifest whose config is the cache config', async () => {
    const { stdout } = await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/cache:max`]);
    const m = JSON.parse(stdout) as { mediaType: string; config: { mediaType: string }; layers: { annotations: Record<string, string> }[] };
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(m.config.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
    for (const l of m.layers) {
      expect(l.annotations['containerd.io/uncompressed']).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(l.annotations['buildkit/createdat']!))).toBe(false);
    }
  });

  test('exporting the same cache again gives the same manifest digest', async () => {
    const digest = async () => (await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/cache:max`])).stdout;
    const before = await digest();
    await a.ok(['build', '--progress=quiet', '--cache-to', `type=registry,ref=${registry.host}/cache:max,mode=max`, ctx]);
    expect(await digest()).toBe(before);
  });

  test('a missing or unreachable cache is a warning, and the build runs', async () => {
    const b = await freshRoot();
    const r = await b.ok([
      'build',
      '--progress=plain',
      '--cache-from',
      `${registry.host}/cache:nonexistent`,
      '--cache-from',
      'type=registry,ref=127.0.0.1:9/nothing:here',
      '--cache-from',
      `type=local,src=${join(work, 'no-such-dir')}`,
      ctx,
    ]);
    expect(r.stderr).toMatch(/WARNING: cannot import cache from .*cache:nonexistent.*building without it/);
    expect(r.stderr).toMatch(/WARNING: cannot import cache from 127\.0\.0\.1:9\/nothing:here: .*cannot reach/);
    expect(r.stderr).toMatch(/WARNING: cannot import cache from .*no-such-dir/);
    expect(ran(parsePlain(r.stderr))).toContain('[stage-1 4/4] RUN cat /b.txt /out.txt > /all.txt');
  });

  test('an export that fails fails the build, unless ignore-error=true', async () => {
    const bad = await a.run(['build', '--progress=plain', '--cache-to', 'type=registry,ref=127.0.0.1:9/nothing:here', ctx]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ERROR: cannot export cache to 127\.0\.0\.1:9\/nothing:here: .*cannot reach/);
    expect(stackLines(bad.stderr)).toEqual([]);
    const ok = await a.ok(['build', '--progress=plain', '--cache-to', 'type=registry,ref=127.0.0.1:9/nothing:here,ignore-error=true', ctx]);
    expect(ok.stderr).toMatch(/WARNING: cannot export cache .*ignore-error=true/);
  });

  test('a corrupted cache blob is refused with a clear error and nothing is stored', async () => {
    // A copy of the local cache whose config blob no longer matches its digest.
    const corrupt = join(work, 'corrupt-cache');
    await exec('cp', ['-r', localCache, corrupt]);
    const index = JSON.parse(await readFile(join(corrupt, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(await readFile(join(corrupt, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    await writeFile(join(corrupt, 'blobs', 'sha256', manifest.config.digest.slice(7)), '{"layers":[],"records":[]}');
    const b = await freshRoot();
    const r = await b.ok(['build', '--progress=plain', '--cache-from', `type=local,src=${corrupt}`, ctx]);
    expect(r.stderr).toMatch(/WARNING: cannot import cache from .*corrupt-cache.*digest/);
    expect(ran(parsePlain(r.stderr))).toContain('[stage-1 4/4] RUN cat /b.txt /out.txt > /all.txt');
    const stored = new Set(await readdir(join(b.root, 'content', 'blobs', 'sha256')));
    expect(stored.has(manifest.config.digest.slice(7))).toBe(false);

    // A layer blob that does not match: the step that needs it fails, naming the blob.
    await exec('cp', [join(localCache, 'blobs', 'sha256', manifest.config.digest.slice(7)), join(corrupt, 'blobs', 'sha256', manifest.config.digest.slice(7))]);
    for (const l of manifest.layers) await writeFile(join(corrupt, 'blobs', 'sha256', l.digest.slice(7)), 'not a layer');
    const c = await freshRoot();
    const bad = await c.run([
      'build',
      '--progress=plain',
      '--cache-from',
      `type=local,src=${corrupt}`,
      '-o',
      `type=local,dest=${join(work, 'out-corrupt')}`,
      ctx,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/digest/);
    expect(stackLines(bad.stderr)).toEqual([]);
    const after = new Set(await readdir(join(c.root, 'content', 'blobs', 'sha256')).catch(() => []));
    for (const l of manifest.layers) expect(after.has(l.digest.slice(7))).toBe(false);
  });

  test('the index forms (OCI index, Docker manifest list) export and import too', async () => {
    for (const [tag, opts] of [
      ['index', 'image-manifest=false'],
      ['docker', 'oci-mediatypes=false'],
    ] as const) {
      await a.ok(['build', '--progress=quiet', '--cache-to', `type=registry,ref=${registry.host}/cache:${tag},mode=max,${opts}`, ctx]);
      const { stdout } = await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/cache:${tag}`]);
      const m = JSON.parse(stdout) as { mediaType: string; manifests: { mediaType: string }[] };
      expect(m.mediaType).toBe(tag === 'index' ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json');
      expect(m.manifests.at(-1)!.mediaType).toBe('application/vnd.buildkit.cacheconfig.v0');
      const b = await freshRoot();
      const r = await b.ok(['build', '--progress=plain', '--cache-from', `${registry.host}/cache:${tag}`, ctx]);
      expect(ran(parsePlain(r.stderr))).toEqual([]);
    }
  });

  test('type=inline keeps the records of the image in its config; the image reads back as a cache', async () => {
    const name = `${registry.host}/app:inline`;
    await a.ok(['build', '--progress=quiet', '--cache-to', 'type=inline', '-o', `type=registry,name=${name}`, ctx]);
    const { stdout } = await exec('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${name}`]);
    const config = JSON.parse(stdout) as Record<string, unknown>;
    const inline = JSON.parse(Buffer.from(config['moby.buildkit.cache.v0'] as string, 'base64').toString()) as { records: unknown[] };
    expect(inline.records.length).toBeGreaterThan(0);
    const b = await freshRoot();
    const r = await b.ok(['build', '--progress=plain', '--cache-from', name, ctx]);
    // As with mode=min: the final stage is cached, the stage it copies from runs again.
    expect(ran(parsePlain(r.stderr))).toEqual([
      '[build 2/4] WORKDIR /src',
      '[build 3/4] COPY a.txt .',
      '[build 4/4] RUN cat a.txt > out.txt && echo built >> out.txt',
    ]);
  });

  test('imported records are listed and pruned like any other', async () => {
    const b = await freshRoot();
    await b.ok(['build', '--progress=quiet', '--cache-from', `${registry.host}/cache:max`, '-o', `type=local,dest=${join(work, 'out-prune')}`, ctx]);
    const du = await b.ok(['du', '-v']);
    expect(du.stdout).toContain(`cache ${registry.host}/cache:max`);
    await b.ok(['prune', '--all']);
    const after = await b.ok(['du', '-v']);
    expect(after.stdout).not.toContain(`cache ${registry.host}/cache:max`);
    expect(after.stdout).toMatch(/^0 cached results/m);
    const again = await b.ok(['build', '--progress=plain', '--cache-from', `${registry.host}/cache:max`, ctx]);
    expect(ran(parsePlain(again.stderr))).toEqual([]);
  });

  /** Layer digests of a cache in the test registry. */
  async function cacheLayers(tag: string): Promise<string[]> {
    const { stdout } = await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/${tag}`]);
    return (JSON.parse(stdout) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
  }
});
