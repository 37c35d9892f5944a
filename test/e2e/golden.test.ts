// The golden Dockerfiles (test/frontends/dockerfile/fixtures/golden), built for real: those that
// can run offline, with their public base images swapped for the seeded busybox, exported with
// `-o type=local` and checked file by file. (Their compiled definitions are checked, as written,
// by test/frontends/dockerfile/golden.test.ts.)
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { REPO_ROOT, seededCli, type Cli } from '../support/tsbuild-cli.ts';
import { parsePlain, step } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });
const golden = join(REPO_ROOT, 'test', 'frontends', 'dockerfile', 'fixtures', 'golden');

interface Fixture {
  /** Context files: path → content, or [content, mode]. */
  readonly files?: Readonly<Record<string, string | readonly [string, number]>>;
  /** Textual replacements that make the Dockerfile offline (public image → busybox). */
  readonly rewrite: ReadonlyArray<readonly [string | RegExp, string]>;
  readonly buildArgs?: Readonly<Record<string, string>>;
}

async function prepare(work: string, name: string, fixture: Fixture): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  let dockerfile = await readFile(join(golden, name, 'Dockerfile'), 'utf8');
  for (const [from, to] of fixture.rewrite) {
    const before = dockerfile;
    dockerfile = dockerfile.replace(from, to);
    if (dockerfile === before) throw new Error(`${name}: the rewrite ${String(from)} no longer matches the fixture`);
  }
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  for (const [path, spec] of Object.entries(fixture.files ?? {})) {
    const [content, mode] = typeof spec === 'string' ? [spec, 0o644] : spec;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
    await chmod(join(dir, path), mode);
  }
  return dir;
}

const mode = async (p: string) => (await stat(p)).mode & 0o7777;

describe.runIf(run).concurrent('golden Dockerfiles, built for real', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-golden-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function build(name: string, fixture: Fixture, extra: string[] = []) {
    const dir = await prepare(work, name, fixture);
    const out = join(work, `${name}.out`);
    const args = Object.entries(fixture.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    const r = await cli.ok(['build', '--progress=plain', ...args, ...extra, '-o', `type=local,dest=${out}`, dir]);
    return { dir, out, steps: parsePlain(r.stderr) };
  }

  test('03-args-scoping: ARG scoping, --build-arg, predefined platform ARGs, ENV over ARG', async () => {
    const { steps } = await build('03-args-scoping', {
      rewrite: [['FROM ${BASE}:bookworm', 'FROM busybox']],
      buildArgs: { LOCAL: 'from-cli', HTTP_PROXY: 'http://proxy:3128' },
    });
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    expect(step(steps, 'RUN echo').logs).toEqual([`env-wins from-cli linux/${arch} ${arch}`]);
  });

  test('05-copy-flags: --chown, --chmod (octal and symbolic), --link, --parents, --exclude, --from an image', async () => {
    const { out } = await build('05-copy-flags', {
      rewrite: [
        [/^FROM alpine$/m, 'FROM busybox'],
        ['COPY --from=nginx:alpine /etc/nginx/nginx.conf /etc/nginx/', 'COPY --from=busybox /etc/group /etc/nginx/'],
      ],
      files: {
        'package.json': ['{"name":"demo"}\n', 0o600],
        'scripts/run.sh': ['#!/bin/sh\necho run\n', 0o664],
        'bin/tool': ['#!/bin/sh\necho tool\n', 0o600],
        'src/lib/a.ts': 'export const a = 1;\n',
        'src/lib/b.ts': 'export const b = 2;\n',
        'src/lib/c.ts': 'not copied\n',
        // `docs*` matches a file and a directory; the patterns filter inside what it matched
        // (a matched path itself is never filtered, as in BuildKit's copier).
        'docs-notes.txt': 'notes\n',
        'docs-extra/guide.txt': 'guide\n',
        'docs-extra/draft.md': 'excluded by *.md\n',
      },
    });
    const pkg = join(out, 'app', 'package.json');
    expect(await readFile(pkg, 'utf8')).toBe('{"name":"demo"}\n');
    expect(await mode(pkg)).toBe(0o644);
    expect((await stat(pkg)).uid).toBe(1000);
    expect((await stat(pkg)).gid).toBe(1000);
    expect(await mode(join(out, 'usr', 'local', 'bin', 'run.sh'))).toBe(0o744);
    expect(await mode(join(out, 'usr', 'bin', 'tool'))).toBe(0o755);
    expect(await readFile(join(out, 'usr', 'bin', 'tool'), 'utf8')).toBe('#!/bin/sh\necho tool\n');
    expect(await readFile(join(out, 'app', 'lib', 'a.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect(await readFile(join(out, 'app', 'lib', 'b.ts'), 'utf8')).toBe('export const b = 2;\n');
    await expect(stat(join(out, 'app', 'lib', 'c.ts'))).rejects.toThrow();
    expect(await readFile(join(out, 'docs', 'docs-notes.txt'), 'utf8')).toBe('notes\n');
    expect(await readFile(join(out, 'docs', 'guide.txt'), 'utf8')).toBe('guide\n');
    await expect(stat(join(out, 'docs', 'draft.md'))).rejects.toThrow();
    expect(await readFile(join(out, 'etc', 'nginx', 'group'), 'utf8')).toContain('root:x:0:');
    // The base is still there under the linked layer.
    expect((await stat(join(out, 'bin', 'busybox'))).isFile()).toBe(true);
  });

  test('06-heredocs: RUN heredocs (quoted, <<-, two on one line) and COPY heredocs', async () => {
    const { out, steps } = await build('06-heredocs', { rewrite: [[/^FROM alpine$/m, 'FROM busybox']] });
    expect(await readFile(join(out, 'a'), 'utf8')).toBe('a line\n');
    expect(await readFile(join(out, 'b'), 'utf8')).toBe('b line\n');
    expect(await readFile(join(out, 'etc', 'greeting'), 'utf8')).toBe('hello world\n');
    expect(await readFile(join(out, 'etc', 'literal'), 'utf8')).toBe('hello ${NAME}\n');
    expect(steps.flatMap((s) => s.logs)).toContain('hello world');
  });

  test('08-onbuild-shell: SHELL, MAINTAINER, and ONBUILD triggers firing in a child build', async () => {
    // `FROM base` names a stage that has ONBUILD triggers: they run in the child stage, as
    // BuildKit runs them, so the context needs app.conf.
    const fixture: Fixture = { rewrite: [[/^FROM alpine AS base$/m, 'FROM busybox AS base']], files: { 'app.conf': 'stage=1\n' } };
    const { dir, out: stageOut, steps } = await build('08-onbuild-shell', fixture);
    expect(steps.flatMap((s) => s.logs)).toEqual(expect.arrayContaining(['with custom shell', 'triggered', 'child']));
    expect(await readFile(join(stageOut, 'etc', 'app.conf'), 'utf8')).toBe('stage=1\n');
    // The base stage as an image: its ONBUILD triggers run when another build starts FROM it.
    await cli.ok(['build', '--progress=quiet', '--target', 'base', '-t', 'golden-onbuild-base', dir]);
    const child = join(work, '08-child');
    await mkdir(child, { recursive: true });
    await writeFile(join(child, 'Dockerfile'), 'FROM golden-onbuild-base\nRUN cat /etc/app.conf\n');
    await writeFile(join(child, 'app.conf'), 'setting=1\n');
    const out = join(work, '08-child.out');
    const r = await cli.ok(['build', '--progress=plain', '-o', `type=local,dest=${out}`, child]);
    expect(await readFile(join(out, 'etc', 'app.conf'), 'utf8')).toBe('setting=1\n');
    const logs = parsePlain(r.stderr).flatMap((s) => s.logs);
    expect(logs).toEqual(expect.arrayContaining(['triggered', 'setting=1']));
  });
});
