// What a user sees when something is wrong: one clear block on stderr, the right exit code,
// no stack trace unless --debug asks for it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { EXAMPLES, bindCli, seededCli, stackLines, tempRoot, type Cli } from '../support/tsbuild-cli.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });

describe.concurrent('usage', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempRoot();
    cli = bindCli(t.root);
    dispose = t.dispose;
  });
  afterAll(async () => dispose?.());

  const commands = [
    ['solve'],
    ['build'],
    ['debug'],
    ['debug', 'build-llb'],
    ['debug', 'dump-llb'],
    ['debug', 'dump-dockerfile'],
    ['images'],
    ['rmi'],
    ['du'],
    ['prune'],
    ['run'],
  ];
  test.each(commands.map((c) => [c.join(' '), c]))('`tsbuild %s --help` exits 0 with a usage text', async (_name, argv) => {
    const r = await cli.run([...argv, '--help']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: tsbuild /);
  });

  test('`tsbuild --help` and `--version` exit 0', async () => {
    const h = await cli.run(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['solve', 'build', 'debug', 'images', 'run']) expect(h.stdout).toContain(`  ${c}`);
    const v = await cli.run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^tsbuild \d+\.\d+\.\d+/);
  });

  test('a bad flag, a bad flag value, an unknown command: exit 2', async () => {
    const bad = await cli.run(['build', '--bogus', EXAMPLES]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--bogus');
    const value = await cli.run(['build', '--progress=fancy', EXAMPLES]);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('fancy');
    const unknown = await cli.run(['frobnicate']);
    expect(unknown.code).toBe(2);
    for (const r of [bad, value, unknown]) expect(stackLines(r.stderr)).toEqual([]);
  });
});

describe.runIf(run).concurrent('build errors', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-err-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function context(name: string, dockerfile: string): Promise<string> {
    const dir = join(work, name);
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    return dir;
  }

  test('an unknown instruction: exit 1, file and line, a suggestion, no stack; --debug adds the stack', async () => {
    const dir = await context('unknown', 'FROM busybox\nRUN echo hi\nCOPPY a b\n');
    const r = await cli.run(['build', '--progress=plain', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:3: unknown instruction: COPPY \(did you mean COPY\?\)/);
    expect(stackLines(r.stderr)).toEqual([]);
    // Nothing ran: the error comes before the solve.
    expect(r.stderr).not.toContain('RUN echo hi');

    const d = await cli.run(['--debug', 'build', '--progress=plain', dir]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/Dockerfile:3: unknown instruction/);
    expect(stackLines(d.stderr).length).toBeGreaterThan(0);
  });

  test('a failing RUN: exit 1, the exit code, the output tail and the Dockerfile lines', async () => {
    const dir = await context(
      'failing',
      ['FROM busybox', 'RUN echo first', 'RUN echo out-line-1 && echo err-line-2 >&2 && exit 7', 'RUN echo never-runs', ''].join('\n'),
    );
    const r = await cli.run(['build', '--progress=plain', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('did not complete successfully: exit code: 7');
    expect(r.stderr).toContain('out-line-1');
    expect(r.stderr).toContain('err-line-2');
    // The snippet marks the failing line.
    expect(r.stderr).toMatch(/>>> RUN echo out-line-1 && echo err-line-2 >&2 && exit 7/);
    expect(r.stderr).toMatch(/Dockerfile:3/);
    expect(r.stderr).not.toContain('never-runs\n#');
    expect(stackLines(r.stderr)).toEqual([]);
  });

  test('build.ts: a failing RUN names its step; an exception in the program names the file and line', async () => {
    const dir = join(work, 'program');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const file = join(dir, 'build.ts');
    await writeFile(
      file,
      "import { image } from 'tsbuild';\n\nexport default () => image('busybox').run('echo about to fail; exit 5', { customName: 'failing step' }).root();\n",
    );
    const r = await cli.run(['build', '--progress=plain', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"failing step" failed: .*did not complete successfully: exit code: 5/);
    expect(r.stderr).toContain('about to fail');
    expect(stackLines(r.stderr)).toEqual([]);

    await writeFile(file, "import { image } from 'tsbuild';\nconst x = 1;\nthrow new Error('boom in program');\nexport default () => image('busybox');\n");
    const t = await cli.run(['build', '--progress=plain', dir]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/build\.ts:3:\d+: boom in program/);
    expect(stackLines(t.stderr)).toEqual([]);
  });

  test('--target naming no stage is a clear error', async () => {
    const dir = await context('target', 'FROM busybox AS one\nRUN true\n');
    const r = await cli.run(['build', '--progress=plain', '--target', 'nope', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope/);
    expect(stackLines(r.stderr)).toEqual([]);
  });

  test('a missing base image says where it looked', async () => {
    const dir = await context('nobase', 'FROM 127.0.0.1:1/none/such:tag\nRUN true\n');
    const r = await cli.run(['build', '--progress=plain', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('127.0.0.1:1/none/such:tag');
    expect(stackLines(r.stderr)).toEqual([]);
  });

  test('a context that does not exist and a missing -f file are user errors', async () => {
    const a = await cli.run(['build', join(work, 'no-such-dir')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/not a directory|no such/);
    const b = await cli.run(['build', '-f', join(work, 'nope.Dockerfile'), work]);
    expect(b.code).toBe(1);
    for (const r of [a, b]) expect(stackLines(r.stderr)).toEqual([]);
  });
});
