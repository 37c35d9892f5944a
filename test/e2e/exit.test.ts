// A command ends its process when its work is done: every exporter, every progress view, and a
// failing build, each on a fresh state root with the base pulled from a real registry, so layer
// blobs are fetched, hashed and compressed (the work that starts worker threads). A run that
// leaves something holding the event loop never exits and fails on the CLI's time limit.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runInPty } from '../support/pty.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { CLI_BIN, REPO_ROOT, bindCli, busyboxBuild, tempRoot, type CliResult } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['runc', 'skopeo', 'docker-registry', 'tar', 'tmux'] });
// Far above a build of a few seconds: the assertion is that the process exits at all.
const LIMIT_MS = 120_000;

describe.runIf(run)('the CLI exits when its work is done', () => {
  let registry: TestRegistry;
  let work: string;
  let context: string;
  let failing: string;
  const roots: Array<() => Promise<void>> = [];

  /** A context directory with a Dockerfile on the registry's busybox and a small file. */
  async function dockerfile(name: string, steps: string[]): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir);
    await writeFile(join(dir, 'a.txt'), 'a\n');
    await writeFile(join(dir, 'Dockerfile'), [`FROM ${registry.host}/busybox:latest`, ...steps, ''].join('\n'));
    return dir;
  }

  /** A CLI on a state root of its own, nothing cached in it. */
  async function freshCli() {
    const { root, dispose } = await tempRoot('tsbuild-e2e-exit-');
    roots.push(dispose);
    return bindCli(root);
  }

  beforeAll(async () => {
    registry = await startRegistry();
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-exit-work-'));
    const pusher = await freshCli();
    await pusher.ok(busyboxBuild(['-o', `type=image,name=${registry.host}/busybox:latest,push=true`]));
    // One new small layer: one gzip job, so a pool that started more workers than it used is
    // left with idle ones (what a second build on the same root, all cached, never starts).
    context = await dockerfile('run', ['RUN true']);
    failing = await dockerfile('failing', ['RUN exit 1']);
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    for (const dispose of roots) await dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function build(progress: 'plain' | 'rawjson', output: string[], dir = context): Promise<CliResult> {
    const cli = await freshCli();
    return cli.run(['build', `--progress=${progress}`, ...output, dir], { timeoutMs: LIMIT_MS });
  }

  function expectOk(r: CliResult): void {
    expect(r.code, r.stderr).toBe(0);
  }

  test(
    'image store, --progress=plain',
    async () => {
      const cli = await freshCli();
      const r = await cli.run(['build', '--progress=plain', '-t', 'exit-check:1', context], { timeoutMs: LIMIT_MS });
      expectOk(r);
      const images = await cli.ok(['images', '-q']);
      expect(images.stdout.split('\n')).toContain('docker.io/library/exit-check:1');
    },
    LIMIT_MS + 10_000,
  );

  test(
    'image with push=true, --progress=rawjson',
    async () => {
      const name = `${registry.host}/exit-check:push`;
      const r = await build('rawjson', ['-o', `type=image,name=${name},push=true`]);
      expectOk(r);
      const { stdout } = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`]);
      expect((JSON.parse(stdout) as { Layers: string[] }).Layers.length).toBe(2);
    },
    LIMIT_MS + 10_000,
  );

  test(
    'oci archive, --progress=tty on a terminal',
    async () => {
      const out = join(work, 'tty.tar');
      const root = (await freshCli()).root;
      const { exitCode, screen } = await runInPty([process.execPath, CLI_BIN, 'build', '--progress=tty', '-o', `type=oci,dest=${out}`, context], {
        cwd: REPO_ROOT,
        env: { TSBUILD_ROOT: root, TSBUILD_DEBUG: undefined },
        cols: 120,
        rows: 40,
        timeoutMs: LIMIT_MS,
      });
      expect({ exitCode, screen }).toMatchObject({ exitCode: 0 });
      const { stdout } = await exec('skopeo', ['inspect', `oci-archive:${out}`]);
      expect((JSON.parse(stdout) as { Layers: string[] }).Layers.length).toBe(2);
    },
    LIMIT_MS + 10_000,
  );

  test(
    'oci archive, --progress=plain and --progress=rawjson',
    async () => {
      for (const progress of ['plain', 'rawjson'] as const) {
        const out = join(work, `oci-${progress}.tar`);
        expectOk(await build(progress, ['-o', `type=oci,dest=${out}`]));
        const { stdout } = await exec('skopeo', ['inspect', `oci-archive:${out}`]);
        expect((JSON.parse(stdout) as { Layers: string[] }).Layers.length).toBe(2);
      }
    },
    2 * LIMIT_MS + 10_000,
  );

  test(
    'docker archive, --progress=plain',
    async () => {
      const out = join(work, 'docker.tar');
      expectOk(await build('plain', ['-o', `type=docker,dest=${out}`]));
      const { stdout } = await exec('tar', ['-tf', out]);
      expect(stdout.split('\n')).toContain('manifest.json');
    },
    LIMIT_MS + 10_000,
  );

  test(
    'tar of the filesystem, --progress=rawjson',
    async () => {
      const out = join(work, 'fs.tar');
      expectOk(await build('rawjson', ['-o', `type=tar,dest=${out}`]));
      const { stdout } = await exec('tar', ['-tf', out]);
      const names = stdout.split('\n').map((n) => n.replace(/^\.\//, ''));
      expect(names).toEqual(expect.arrayContaining(['bin/busybox']));
    },
    LIMIT_MS + 10_000,
  );

  test(
    'local directory, --progress=plain',
    async () => {
      const out = join(work, 'local');
      expectOk(await build('plain', ['-o', `type=local,dest=${out}`]));
      expect(await readdir(out)).toContain('bin');
      expect((await stat(join(out, 'bin', 'busybox'))).isFile()).toBe(true);
    },
    LIMIT_MS + 10_000,
  );

  test(
    'COPY and COPY --link builds, --progress=plain',
    async () => {
      for (const step of ['COPY a.txt /a.txt', 'COPY --link a.txt /a.txt']) {
        const out = join(work, `${step.includes('--link') ? 'link' : 'copy'}.tar`);
        const r = await build('plain', ['-o', `type=oci,dest=${out}`], await dockerfile(step.includes('--link') ? 'link' : 'copy', [step]));
        expectOk(r);
        const { stdout } = await exec('tar', ['-tf', out]);
        expect(stdout).toContain('index.json');
      }
    },
    2 * LIMIT_MS + 10_000,
  );

  test(
    'a failing RUN exits with code 1',
    async () => {
      const r = await build('plain', ['-o', `type=oci,dest=${join(work, 'never.tar')}`], failing);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('exit code: 1');
    },
    LIMIT_MS + 10_000,
  );

  // Whatever a command's parts leave behind, the process ends with the command: here a build.ts
  // (run in the CLI's own process) leaves an interval timer running.
  async function leakyBuildTs(name: string, body: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir);
    await writeFile(join(dir, 'build.ts'), ["import { mkfile, scratch } from 'tsbuild';", 'setInterval(() => {}, 60_000);', body, ''].join('\n'));
    return dir;
  }

  test(
    'a build whose build.ts leaves a timer running exits with code 0',
    async () => {
      const dir = await leakyBuildTs('leaky', "export default { state: scratch().file(mkfile('/hello', 0o644, 'hi\\n')) };");
      const out = join(work, 'leaky-out');
      expectOk(await build('plain', ['-o', `type=local,dest=${out}`], dir));
      expect(await readdir(out)).toEqual(['hello']);
    },
    LIMIT_MS + 10_000,
  );

  test(
    'a failing build whose build.ts leaves a timer running exits with code 1',
    async () => {
      const dir = await leakyBuildTs('leaky-fail', "throw new Error('no state today');");
      const r = await build('plain', ['-o', `type=local,dest=${join(work, 'never')}`], dir);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('no state today');
    },
    LIMIT_MS + 10_000,
  );
});
