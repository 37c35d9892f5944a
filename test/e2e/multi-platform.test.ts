// `--platform linux/amd64,linux/arm64` end to end: a two-platform busybox base (pushed as an index
// to a real registry) and a Dockerfile whose target stage runs `uname -m` on each platform, the
// arm64 one under QEMU user emulation registered with binfmt_misc (scripts/register-qemu.sh).
// skopeo reads the pushed manifest list and the OCI archive's index; the local export has one
// directory per platform; a stage on $BUILDPLATFORM runs once; a platform without an emulator
// fails with what to install.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeGzipPool } from '../../oci/index.ts';
import { BINFMT_DIR, elfHeaderFor, handlerMatches, parseBinfmtEntry } from '../../executor/runner/index.ts';
import { pushBusyboxIndex } from '../support/busybox-index.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { bindCli, REPO_ROOT, stackLines, tempRoot, type Cli } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['docker-registry', 'skopeo', 'dpkg-deb', 'tar', 'qemu-aarch64-static'] });

interface RawIndex {
  mediaType: string;
  manifests: { mediaType: string; digest: string; platform: { os: string; architecture: string } }[];
}

async function skopeoRaw(ref: string): Promise<RawIndex> {
  const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', '--raw', ref]);
  return JSON.parse(stdout) as RawIndex;
}

/** A Linux architecture with no binfmt_misc handler here, for the failure case. */
async function unemulated(): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const entries = await Promise.all(
    (await readdir(BINFMT_DIR)).map(async (n) => parseBinfmtEntry(n, await readFile(join(BINFMT_DIR, n), 'utf8').catch(() => ''))),
  );
  const arch = ['s390x', 'ppc64le', 'riscv64', 'mips64le'].find((a) => !entries.some((h) => h && handlerMatches(h, elfHeaderFor(a)!)));
  if (!arch) throw new Error('every candidate architecture has an emulator registered here');
  return arch;
}

describe.runIf(run)('multi-platform builds', () => {
  let registry: TestRegistry;
  let cli: Cli;
  let disposeRoot: () => Promise<void>;
  let work: string;
  let base: string;

  beforeAll(async () => {
    await exec(join(REPO_ROOT, 'scripts', 'register-qemu.sh'), ['aarch64']);
    registry = await startRegistry();
    base = `${registry.host}/busybox:multi`;
    await pushBusyboxIndex(base);
    const r = await tempRoot();
    cli = bindCli(r.root);
    disposeRoot = r.dispose;
    work = await mkdtemp(join(tmpdir(), 'tsbuild-multi-'));
    await mkdir(join(work, 'ctx'));
    await writeFile(
      join(work, 'ctx', 'Dockerfile'),
      [
        `FROM --platform=$BUILDPLATFORM ${base} AS tools`,
        'RUN echo built-on-$(uname -m) > /tool',
        `FROM ${base}`,
        'ARG TARGETPLATFORM',
        'COPY --from=tools /tool /tool',
        'RUN uname -m > /arch && echo $TARGETPLATFORM > /target && ls /bin/ls',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
    await disposeRoot?.();
    if (work) await rm(work, { recursive: true, force: true });
    await closeGzipPool();
  });

  test('two platforms: an index in the registry and the store, one directory per platform, $BUILDPLATFORM stage once', async () => {
    const app = `${registry.host}/app:multi`;
    const out = join(work, 'out');
    const r = await cli.ok([
      'build',
      '--progress=plain',
      '--platform',
      'linux/amd64,linux/arm64',
      '-o',
      `type=registry,name=${app},oci-mediatypes=false`,
      '-o',
      'type=image,name=app:multi',
      '-o',
      `type=local,dest=${out}`,
      join(work, 'ctx'),
    ]);
    expect(await readFile(join(out, 'linux_amd64', 'arch'), 'utf8')).toBe('x86_64\n');
    expect(await readFile(join(out, 'linux_arm64', 'arch'), 'utf8')).toBe('aarch64\n');
    expect(await readFile(join(out, 'linux_arm64', 'target'), 'utf8')).toBe('linux/arm64\n');
    // The tools stage ran natively, once, and both platforms copied its output.
    expect(await readFile(join(out, 'linux_arm64', 'tool'), 'utf8')).toBe('built-on-x86_64\n');
    expect(await readFile(join(out, 'linux_amd64', 'tool'), 'utf8')).toBe('built-on-x86_64\n');
    const toolSteps = new Set(r.stderr.split('\n').filter((l) => /^#\d+ \[.*tools 2\/2\] RUN/.test(l)));
    expect([...toolSteps]).toEqual([expect.stringMatching(/^#\d+ \[linux\/amd64 tools 2\/2\] RUN echo built-on/)]);
    expect(r.stderr).toMatch(/^#\d+ \[linux\/arm64 stage-1 4\/4\] RUN uname -m/m);
    expect(r.stderr).toMatch(/^#\d+ \[linux\/amd64 stage-1 4\/4\] RUN uname -m/m);

    const list = await skopeoRaw(`docker://${app}`);
    expect(list.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(list.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(new Set(list.manifests.map((m) => m.mediaType))).toEqual(new Set(['application/vnd.docker.distribution.manifest.v2+json']));
    const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', '--config', `docker://${app}`]);
    expect(JSON.parse(stdout)).toMatchObject({ architecture: 'arm64', os: 'linux' });

    // The local store holds the index: `run --platform` picks the image, arm64 under emulation.
    expect((await cli.ok(['run', 'app:multi', 'cat', '/arch'])).stdout).toBe('x86_64\n');
    expect((await cli.ok(['run', '--platform', 'linux/arm64', 'app:multi', 'uname', '-m'])).stdout).toBe('aarch64\n');
  }, 60_000);

  test('oci archive holds an index; tar has one directory per platform; docker refuses a list', async () => {
    const ociTar = join(work, 'app-oci.tar');
    const fsTar = join(work, 'app-fs.tar');
    await cli.ok([
      'build',
      '--progress=quiet',
      '--platform',
      'linux/arm64,linux/amd64',
      '-o',
      `type=oci,dest=${ociTar}`,
      '-o',
      `type=tar,dest=${fsTar}`,
      join(work, 'ctx'),
    ]);
    const index = await skopeoRaw(`oci-archive:${ociTar}`);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['arm64', 'amd64']);
    const { stdout } = await exec('tar', ['-xOf', fsTar, 'linux_arm64/arch']);
    expect(stdout).toBe('aarch64\n');
    const { stdout: list } = await exec('tar', ['-tf', fsTar]);
    expect(list.split('\n')).toEqual(expect.arrayContaining(['linux_amd64/', 'linux_arm64/', 'linux_amd64/arch', 'linux_arm64/bin/busybox']));

    const docker = await cli.run([
      'build',
      '--progress=quiet',
      '--platform',
      'linux/amd64,linux/arm64',
      '-o',
      `type=docker,dest=${join(work, 'd.tar')}`,
      join(work, 'ctx'),
    ]);
    expect(docker.code).toBe(1);
    expect(docker.stderr).toContain('type=docker holds one image, and --platform asks for 2 (linux/amd64, linux/arm64)');
    expect(stackLines(docker.stderr)).toEqual([]);

    // A marshalled definition is one platform's graph: several platforms are refused.
    const def = join(work, 'def.pb');
    await writeFile(def, (await cli.ok(['debug', 'build-llb', join(work, 'ctx', 'Dockerfile')])).stdoutBytes);
    const llb = await cli.run(['solve', '--progress=quiet', '--platform', 'linux/amd64,linux/arm64', def]);
    expect(llb.code).toBe(1);
    expect(llb.stderr).toContain('is an LLB definition, made for one platform');
  }, 60_000);

  test('a single-platform base of another platform is used with a warning naming both, as BuildKit does', async () => {
    const single = join(work, 'single');
    await mkdir(single, { recursive: true });
    await cli.ok(['build', '--progress=quiet', '--platform', 'linux/amd64', '-t', 'only-amd64', join(work, 'ctx')]);
    await writeFile(join(single, 'Dockerfile'), 'FROM only-amd64\nRUN cat /arch\n');
    const r = await cli.ok(['build', '--progress=plain', '--platform', 'linux/amd64,linux/arm64', single]);
    expect(r.stderr).toContain(
      'WARNING: Dockerfile:1: base image only-amd64 is for platform linux/amd64, not linux/arm64 that this stage builds for (it is a single image, not an index with linux/arm64)',
    );
    expect(r.stderr).not.toContain('not linux/amd64 that');
  }, 60_000);

  test('one platform after another in one root: the pulled index gets the second platform from the registry', async () => {
    const { root, dispose } = await tempRoot();
    try {
      const fresh = bindCli(root);
      for (const [platform, arch] of [
        ['linux/amd64', 'x86_64'],
        ['linux/arm64', 'aarch64'],
      ] as const) {
        const out = join(work, `seq-${arch}`);
        await fresh.ok(['build', '--progress=quiet', '--platform', platform, '-o', `type=local,dest=${out}`, join(work, 'ctx')]);
        expect(await readFile(join(out, 'arch'), 'utf8')).toBe(`${arch}\n`);
      }
    } finally {
      await dispose();
    }
  }, 60_000);

  test('build.ts: the function runs once per platform; a state on ctx.buildPlatform is shared', async () => {
    const dir = join(work, 'program');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'build.ts'),
      [
        "import { copy, image, type BuildContext } from 'tsbuild';",
        'export default (ctx: BuildContext) => {',
        `  const tool = image('${base}', { platform: ctx.buildPlatform }).run('echo native-$(uname -m) > /tool').root();`,
        `  const state = image('${base}').file(copy(tool, '/tool', '/tool')).run(\`uname -m > /arch; echo \${ctx.platform.architecture} > /declared\`).root();`,
        '  return { state };',
        '};',
        '',
      ].join('\n'),
    );
    const out = join(work, 'program-out');
    const r = await cli.ok(['build', '--progress=plain', '--platform', 'linux/amd64,linux/arm64', '-o', `type=local,dest=${out}`, dir]);
    expect(await readFile(join(out, 'linux_arm64', 'arch'), 'utf8')).toBe('aarch64\n');
    expect(await readFile(join(out, 'linux_arm64', 'declared'), 'utf8')).toBe('arm64\n');
    expect(await readFile(join(out, 'linux_amd64', 'arch'), 'utf8')).toBe('x86_64\n');
    expect(await readFile(join(out, 'linux_arm64', 'tool'), 'utf8')).toBe('native-x86_64\n');
    const toolRuns = new Set(
      r.stderr
        .split('\n')
        .filter((l) => /^#\d+ .*echo native-/.test(l))
        .map((l) => l.split(' ')[0]),
    );
    expect(toolRuns.size).toBe(1);
  }, 60_000);

  test('a platform without an emulator fails with what to install', async () => {
    const arch = await unemulated();
    const dir = join(work, 'foreign');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nRUN true\n');
    const r = await cli.run(['build', '--progress=plain', '--platform', `linux/${arch}`, dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot run linux/${arch} processes on this linux/amd64 machine: no binfmt_misc handler for ${arch} binaries is registered`);
    expect(r.stderr).toContain('apt-get install qemu-user-static');
    expect(stackLines(r.stderr)).toEqual([]);
  }, 30_000);
});
