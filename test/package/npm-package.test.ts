// The published package, as a user gets it: `npm pack` (prepack compiles lib/), installed from
// the tarball into a project that has no link to this checkout, then used from there as a CLI
// (`npx tsbuild build`), by a build.ts importing `tsbuild`, by Node programs using
// `tsbuild/client`, and by tsc against the shipped declarations.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { EXAMPLES, REPO_ROOT } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ commands: ['npm', 'tar'] });

/** The environment without what an enclosing `npm test` sets (it would steer the inner npm). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  // The Node that runs the tests (24) first on PATH, as a user's would be.
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return { ...env, CI: '1', ...extra };
}

describe.runIf(run)('the npm package', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let env: NodeJS.ProcessEnv;
  const sh = (cmd: string, args: string[], cwd = project) => exec(cmd, args, { cwd, env, maxBuffer: 64 << 20 });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-npm-package-'));
    project = join(work, 'project');
    env = cleanEnv({ TSBUILD_ROOT: join(work, 'state') });
    await mkdir(project);
    const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', work], REPO_ROOT);
    const [packed] = JSON.parse(stdout) as [{ filename: string }];
    tarball = join(work, packed.filename);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Dependencies from npm's cache when it has them (the registry otherwise). The project's
    // install and the global one (`npm install -g`, into a prefix of the test's) at once.
    const install = ['--prefer-offline', '--no-audit', '--no-fund', tarball];
    await Promise.all([sh('npm', ['install', ...install]), sh('npm', ['install', '--global', '--prefix', join(work, 'global'), ...install])]);
  }, 180_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('holds compiled modules with declarations and source maps, and nothing else', async () => {
    const files = (await sh('tar', ['-tzf', tarball])).stdout.trim().split('\n');
    expect(files).toContain('package/lib/llb/index.js');
    expect(files).toContain('package/lib/llb/index.d.ts');
    expect(files).toContain('package/lib/llb/index.js.map');
    expect(files).toContain('package/lib/cli/client/index.d.ts');
    expect(files).toContain('package/lib/executor/contenthash/hash-worker.js');
    expect(files).toContain('package/cli/bin.js');
    // The native module, prebuilt for this platform.
    expect(files).toContain('package/lib/oci/sys/build/tsbuild-sys.node');
    const stray = files.filter(
      (f) => !/^package\/(lib\/.*\.(js|d\.ts|js\.map)|lib\/oci\/sys\/build\/tsbuild-sys\.node|cli\/bin\.js|package\.json|README\.md|LICENSE)$/.test(f),
    );
    expect(stray).toEqual([]);
    expect(files.some((f) => f.includes('/test/') || f.includes('fixtures'))).toBe(false);
    // A source map carries its TypeScript: stack traces and debuggers show the sources.
    const map = JSON.parse((await sh('tar', ['-xzOf', tarball, 'package/lib/cli/client/build.js.map'])).stdout) as { sourcesContent: string[] };
    expect(map.sourcesContent[0]).toContain('export function build(');
  });

  test('is installed from the tarball, with its runtime dependencies, not linked to the checkout', async () => {
    const installed = await realpath(join(project, 'node_modules', 'tsbuild'));
    expect(installed.startsWith(project)).toBe(true);
    for (const dep of ['ink', 'protobufjs', 'tar-stream']) expect(existsSync(join(project, 'node_modules', dep, 'package.json'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'esbuild'))).toBe(false);
    // The prebuilt native module loads from the installed package.
    const sys = await sh(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(join(installed, 'lib/oci/sys/index.js'))}); console.log(typeof m.nativeSys()?.mount)`,
    ]);
    expect(sys.stdout.trim()).toBe('function');
    const { stdout } = await sh('npx', ['--no', '--', 'tsbuild', '--version']);
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`tsbuild ${pkg.version}\n`);
  });

  test('npx tsbuild build builds a Dockerfile, hashing a large file on the worker threads', async () => {
    const ctx = join(project, 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY small.txt large.bin /\n');
    await writeFile(join(ctx, 'small.txt'), 'small\n');
    // Over the size that content hashing hands to its worker pool.
    await writeFile(join(ctx, 'large.bin'), Buffer.alloc(3 << 20, 7));
    const { stderr } = await sh('npx', ['--no', '--', 'tsbuild', 'build', '--progress=plain', '-o', 'type=oci,dest=image.tar', 'ctx']);
    const digest = /=> image (sha256:[0-9a-f]{64})/.exec(stderr)?.[1];
    expect(digest).toBeDefined();
    const index = JSON.parse((await sh('tar', ['-xOf', 'image.tar', 'index.json'])).stdout) as { manifests: { digest: string }[] };
    expect(index.manifests[0]?.digest).toBe(digest);
    const layer = await sh('sh', [
      '-c',
      `tar -xOf image.tar blobs/sha256/$(tar -xOf image.tar blobs/sha256/${digest!.slice(7)} | node -pe 'JSON.parse(require("fs").readFileSync(0)).layers[0].digest.slice(7)') | tar -tzv`,
    ]);
    expect(layer.stdout).toMatch(/3145728 .*large\.bin/);
  });

  test("a build.ts imports tsbuild from the project's node_modules", async () => {
    await writeFile(
      join(project, 'build.ts'),
      [
        "import { mkfile, scratch, type ImageSpec } from 'tsbuild';",
        "const image: ImageSpec = { cmd: ['/hello.txt'] };",
        "export default { state: scratch().file(mkfile('/hello.txt', 0o644, import.meta.resolve('tsbuild'))), image };",
        '',
      ].join('\n'),
    );
    await sh('npx', ['--no', '--', 'tsbuild', 'build', '--progress=plain', '-f', 'build.ts', '-o', 'type=local,dest=from-build-ts', 'ctx']);
    const resolved = await readFile(join(project, 'from-build-ts', 'hello.txt'), 'utf8');
    expect(resolved).toBe(`file://${await realpath(join(project, 'node_modules', 'tsbuild'))}/lib/llb/index.js`);
  });

  test('a frontend plugin typed by tsbuild/frontend runs from the project', async () => {
    await writeFile(
      join(project, 'plugin.ts'),
      [
        "import { marshal, mkfile, scratch } from 'tsbuild';",
        "import type { Frontend } from 'tsbuild/frontend';",
        'const frontend: Frontend = {',
        "  name: 'note',",
        '  async build(_ctx, input) {',
        "    return { definition: marshal(scratch().file(mkfile('/note.txt', 0o644, new TextDecoder().decode(input.source)))) };",
        '  },',
        '};',
        'export default frontend;',
        '',
      ].join('\n'),
    );
    await writeFile(join(project, 'note.txt'), 'a note\n');
    await sh('npx', [
      '--no',
      '--',
      'tsbuild',
      'build',
      '--progress=quiet',
      '--frontend',
      './plugin.ts',
      '-f',
      'note.txt',
      '-o',
      'type=local,dest=plugin-out',
      '.',
    ]);
    expect(await readFile(join(project, 'plugin-out', 'note.txt'), 'utf8')).toBe('a note\n');
  });

  test('the client example builds and reports each step; State input and typed errors work', async () => {
    await cp(join(EXAMPLES, 'client'), join(project, 'client'), { recursive: true });
    const example = await sh('node', ['client/main.ts', 'greeting.tar']);
    expect(example.stdout).toMatch(/^DONE {3}\[internal\] load build context$/m);
    expect(example.stdout).toMatch(/^DONE {3}.*COPY greeting\.txt \/etc\/greeting\.txt$/m);
    expect(example.stdout).toMatch(/^image sha256:[0-9a-f]{64} written to greeting\.tar$/m);
    expect(existsSync(join(project, 'greeting.tar'))).toBe(true);

    await cp(join(import.meta.dirname, 'fixtures', 'client-check.ts'), join(project, 'client-check.ts'));
    await writeFile(join(project, 'ctx', 'Dockerfile.missing'), 'FROM scratch\nCOPY missing.txt /\n');
    const { stdout } = await sh('node', ['client-check.ts', join(project, 'from-state'), join(project, 'ctx')]);
    const report = JSON.parse(stdout) as { names: string[]; frontend: string; written: string[]; failure: Record<string, string> };
    expect(report.names).toContain('mkfile /from-state.txt');
    expect(report.frontend).toBe('llb');
    expect(await readFile(join(project, 'from-state', 'from-state.txt'), 'utf8')).toBe('made by a State\n');
    expect(report.failure).toMatchObject({ type: 'BuildError', reason: 'vertex-failed' });
    expect(report.failure.step).toContain('COPY missing.txt /');
    expect(report.failure.message).toContain('missing.txt');
  });

  test('tsc type-checks a consumer against the published declarations', async () => {
    await cp(join(import.meta.dirname, 'fixtures', 'consumer.ts'), join(project, 'consumer.ts'));
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2024',
        strict: true,
        noEmit: true,
        // The package's own declarations are checked too, not only their use.
        skipLibCheck: false,
        allowImportingTsExtensions: true,
        types: ['node'],
        // A user's project has @types/node of its own; this one borrows the checkout's.
        typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
      },
      files: ['consumer.ts', 'build.ts', 'plugin.ts', 'client-check.ts', 'client/main.ts'],
    };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    await expect(sh(tsc, ['-p', 'tsconfig.json'])).resolves.toBeDefined();
    // The check can fail: a wrong option type is reported.
    await writeFile(join(project, 'wrong.ts'), "import { build } from 'tsbuild/client';\nvoid build({ outputs: 'type=image' });\n");
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['wrong.ts'] }));
    const failed = await sh(tsc, ['-p', 'tsconfig.json']).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    expect(failed).toContain('wrong.ts(2,');
  });

  test('npm install -g gives a tsbuild command whose build programs need no tsbuild of their own', async () => {
    const prefix = join(work, 'global');
    // A build.ts in a folder with no package.json and no node_modules: its `tsbuild` is the
    // running command's own compiled llb.
    const alone = join(work, 'alone');
    await mkdir(alone);
    await writeFile(
      join(alone, 'build.ts'),
      "import { mkfile, scratch } from 'tsbuild';\nexport default scratch().file(mkfile('/where.txt', 0o644, import.meta.resolve('tsbuild')));\n",
    );
    await sh(join(prefix, 'bin', 'tsbuild'), ['build', '--progress=quiet', '-f', 'build.ts', '-o', 'type=local,dest=out', '.'], alone);
    const where = await readFile(join(alone, 'out', 'where.txt'), 'utf8');
    expect(where).toBe(`file://${await realpath(join(prefix, 'lib', 'node_modules', 'tsbuild'))}/lib/llb/index.js`);
  });

  test('an older Node gets a clear message, not a loader error', async (ctx) => {
    // The system's Node, when it is older than 24 (the project's own comes from scripts/setup.sh).
    const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
    const version = old ? (await exec(old, ['--version'])).stdout.trim() : '';
    if (!old || Number(version.slice(1).split('.')[0]) >= 24) return ctx.skip();
    const failed = await exec(old, [join(project, 'node_modules', '.bin', 'tsbuild'), '--version']).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `tsbuild needs Node.js 24 or newer (this is ${version}): install a current Node.js (in a checkout, scripts/setup.sh puts one in .tools/)\n`,
    );
  });
});
