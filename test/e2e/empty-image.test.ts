// Images without layers: `FROM scratch` with only config instructions, and a build.ts whose
// state is `scratch()`, build an image of zero layers and that config through every exporter,
// read back by skopeo, umoci and tar. An empty definition is valid input to dump-llb and solve.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { bindCli, stackLines, tempRoot, type Cli } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['skopeo', 'umoci', 'docker-registry', 'tar'] });

interface Inspected {
  Layers: string[];
  Env: string[];
  Labels: Record<string, string>;
}
interface ImageConfigJson {
  config: { Cmd?: string[]; Env?: string[]; Labels?: Record<string, string> };
  rootfs: { type: string; diff_ids: string[] };
}

async function skopeo(...args: string[]): Promise<string> {
  return (await exec('skopeo', args)).stdout;
}

describe.runIf(run).concurrent('images without layers', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let registry: TestRegistry;
  let work: string;
  let dockerfileDir: string;
  let buildTsDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-empty-'));
    const state = await tempRoot();
    cli = bindCli(state.root);
    dispose = state.dispose;
    registry = await startRegistry();
    dockerfileDir = join(work, 'df');
    await mkdir(dockerfileDir);
    await writeFile(join(dockerfileDir, 'Dockerfile'), 'FROM scratch\nCMD ["x"]\nENV A=b\nLABEL l=v\n');
    buildTsDir = join(work, 'ts');
    await mkdir(buildTsDir);
    await writeFile(join(buildTsDir, 'build.ts'), "import { scratch } from 'tsbuild';\nexport default { state: scratch(), image: { cmd: ['x'] } };\n");
  });
  afterAll(async () => {
    await registry?.stop();
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('FROM scratch with only CMD, ENV, LABEL: an OCI archive of zero layers and that config', async () => {
    const out = join(work, 'df.tar');
    await cli.ok(['build', '--progress=plain', '-o', `type=oci,dest=${out}`, dockerfileDir]);
    const info = JSON.parse(await skopeo('inspect', `oci-archive:${out}`)) as Inspected;
    expect(info.Layers).toEqual([]);
    expect(info.Env).toContain('A=b');
    expect(info.Labels).toEqual({ l: 'v' });
    const manifest = JSON.parse(await skopeo('inspect', '--raw', `oci-archive:${out}`)) as { layers: unknown[] };
    expect(manifest.layers).toEqual([]);
    const config = JSON.parse(await skopeo('inspect', '--config', `oci-archive:${out}`)) as ImageConfigJson;
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [] });
    expect(config.config.Cmd).toEqual(['x']);
  });

  test('an OCI layout of no layers unpacks with umoci to an empty rootfs', async () => {
    const layout = join(work, 'layout');
    await cli.ok(['build', '--progress=quiet', '-o', `type=oci,dest=${layout},tar=false,name=example.com/empty:v1`, dockerfileDir]);
    const bundle = join(work, 'bundle');
    await exec('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
    expect(await readdir(join(bundle, 'rootfs'))).toEqual([]);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; env: string[] } };
    expect(spec.process.args).toEqual(['x']);
    expect(spec.process.env).toContain('A=b');
  });

  test('a build.ts returning scratch() with an image config: docker archive and image store', async () => {
    const out = join(work, 'ts-docker.tar');
    await cli.ok(['build', '--progress=plain', '-o', `type=docker,dest=${out}`, buildTsDir]);
    const { stdout } = await exec('tar', ['-xOf', out, 'manifest.json']);
    const [entry] = JSON.parse(stdout) as { Config: string; Layers: string[] }[];
    expect(entry!.Layers).toEqual([]);
    const config = JSON.parse((await exec('tar', ['-xOf', out, entry!.Config])).stdout) as ImageConfigJson;
    expect(config.rootfs.diff_ids).toEqual([]);
    expect(config.config.Cmd).toEqual(['x']);

    await cli.ok(['build', '--progress=quiet', '-t', 'empty-ts:1', buildTsDir]);
    expect((await cli.ok(['images', '-q'])).stdout.split('\n')).toContain('docker.io/library/empty-ts:1');
  });

  test('push=true puts an image of zero layers in the registry', async () => {
    const name = `${registry.host}/empty:1`;
    const r = await cli.ok(['build', '--progress=plain', '-o', `type=image,name=${name},push=true`, dockerfileDir]);
    expect(r.stderr).toContain(`pushed ${name}@sha256:`);
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${name}`)) as Inspected;
    expect(info.Layers).toEqual([]);
    const config = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--config', `docker://${name}`)) as ImageConfigJson;
    expect(config.rootfs.diff_ids).toEqual([]);
  });

  test('a local export of nothing is an empty directory; a tar export is an empty tar', async () => {
    const dir = join(work, 'local-out');
    await cli.ok(['build', '--progress=quiet', '-o', `type=local,dest=${dir}`, buildTsDir]);
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    const tarFile = join(work, 'fs.tar');
    await cli.ok(['build', '--progress=quiet', '-o', `type=tar,dest=${tarFile}`, dockerfileDir]);
    expect((await exec('tar', ['-tf', tarFile])).stdout).toBe('');
  });

  test('debug build-llb of scratch is an empty definition that dump-llb and solve accept', async () => {
    const def = await cli.ok(['debug', 'build-llb', join(buildTsDir, 'build.ts')]);
    expect(def.stdoutBytes.length).toBe(0);
    const dump = await cli.run(['debug', 'dump-llb'], { input: def.stdoutBytes });
    expect({ code: dump.code, stdout: dump.stdout, stderr: dump.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
    const file = join(work, 'empty.pb');
    await writeFile(file, def.stdoutBytes);
    expect(await cli.ok(['debug', 'dump-llb', file])).toMatchObject({ stdout: '' });

    const fromFile = join(work, 'solve-file.tar');
    await cli.ok(['solve', '--progress=plain', '-o', `type=tar,dest=${fromFile}`, file]);
    expect((await exec('tar', ['-tf', fromFile])).stdout).toBe('');
    const fromStdin = join(work, 'solve-stdin');
    const r = await cli.run(['solve', '-', '--progress=plain', '-o', `type=local,dest=${fromStdin}`], { input: def.stdoutBytes, cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(stackLines(r.stderr)).toEqual([]);
    expect(await readdir(fromStdin)).toEqual([]);
  });
});
