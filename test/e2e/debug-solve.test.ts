// `tsbuild debug build-llb | tsbuild debug dump-llb`, and `tsbuild solve -` reading a definition
// (or a Dockerfile) from stdin: the LLB wire format as a real interface between processes.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { EXAMPLES, REPO_ROOT, seededCli, stackLines, type Cli } from '../support/tsbuild-cli.ts';
import { APP_OUTPUT } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc'] });
const app = join(EXAMPLES, 'app');
const golden = join(REPO_ROOT, 'test', 'frontends', 'dockerfile', 'fixtures', 'golden');

interface DumpedOp {
  digest: string;
  kind: string;
  op: { source?: { identifier: string }; exec?: { meta?: { env?: string[]; args?: string[] } } };
  inputs: unknown[];
}

function ops(dump: string): DumpedOp[] {
  return dump
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DumpedOp);
}

describe.runIf(run).concurrent('debug build-llb, dump-llb and solve -', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-debug-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('build-llb build.ts | dump-llb prints one JSON object per op', async () => {
    const def = await cli.ok(['debug', 'build-llb', join(app, 'build.ts')]);
    expect(def.stdoutBytes[0]).toBe(0x0a);
    const dump = await cli.ok(['debug', 'dump-llb'], { input: def.stdoutBytes });
    const list = ops(dump.stdout);
    expect(list.map((o) => o.op.source?.identifier).filter(Boolean)).toEqual(
      expect.arrayContaining(['docker-image://docker.io/library/busybox:latest', 'local://context']),
    );
    expect(list.map((o) => o.kind)).toEqual(expect.arrayContaining(['source', 'file', 'exec', 'merge']));
    for (const o of list) expect(o.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The same program marshals to the same bytes in another process.
    const again = await cli.ok(['debug', 'build-llb', join(app, 'build.ts')]);
    expect(again.stdoutBytes.equals(def.stdoutBytes)).toBe(true);
  });

  test('build-llb --no-resolve compiles a Dockerfile naming public images offline', async () => {
    const def = await cli.ok(['debug', 'build-llb', '--no-resolve', join(golden, '01-single-stage', 'Dockerfile')]);
    const dump = await cli.ok(['debug', 'dump-llb', '-'], { input: def.stdoutBytes });
    const list = ops(dump.stdout);
    expect(list.some((o) => o.op.source?.identifier === 'docker-image://docker.io/library/alpine:3.20')).toBe(true);
    expect(list.some((o) => o.op.exec?.meta?.args?.join(' ').includes('apk add --no-cache curl'))).toBe(true);
  });

  test('build-llb of a Dockerfile resolves its base from the local image store (its ENV reaches RUN)', async () => {
    const dir = join(work, 'resolve');
    await mkdir(dir);
    await writeFile(join(dir, 'Dockerfile.base'), 'FROM busybox\nENV MARK=from-base\n');
    await cli.ok(['build', '--progress=quiet', '-f', join(dir, 'Dockerfile.base'), '-t', 'marked', dir]);
    const child = join(dir, 'Dockerfile.child');
    await writeFile(child, 'FROM marked\nRUN echo $MARK\n');
    const envOf = async (args: string[]) => {
      const def = await cli.ok(['debug', 'build-llb', ...args, child]);
      const dump = await cli.ok(['debug', 'dump-llb'], { input: def.stdoutBytes });
      return ops(dump.stdout).find((o) => o.kind === 'exec')!.op.exec!.meta!.env ?? [];
    };
    expect(await envOf([])).toContain('MARK=from-base');
    expect(await envOf(['--no-resolve'])).not.toContain('MARK=from-base');
  });

  test('build-llb of the plugin input with --frontend', async () => {
    const def = await cli.ok(['debug', 'build-llb', '--frontend', join(EXAMPLES, 'plugin', 'frontend.ts'), join(EXAMPLES, 'plugin', 'app.build.json')]);
    const dump = await cli.ok(['debug', 'dump-llb'], { input: def.stdoutBytes });
    expect(ops(dump.stdout).some((o) => o.kind === 'exec')).toBe(true);
  });

  test('dump-llb of bytes that are not a definition: exit 1 with the decode error', async () => {
    const r = await cli.run(['debug', 'dump-llb'], { input: 'not a definition\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*definition/m);
    expect(stackLines(r.stderr)).toEqual([]);
  });

  test('solve - reads a definition from stdin and produces an image that runs', async () => {
    const def = await cli.ok(['debug', 'build-llb', join(app, 'build.ts')]);
    const file = join(work, 'app.pb');
    await writeFile(file, def.stdoutBytes);
    // The image config lives in build.ts, not in the definition: give the command to run.
    await cli.ok(['solve', '-', '--progress=quiet', '--context', app, '-t', 'from-stdin'], { input: await readFile(file), cwd: work });
    const r = await cli.ok(['run', 'from-stdin', '/app/greet.sh']);
    expect(r.stdout.trimEnd()).toBe(APP_OUTPUT.trimEnd());
    // The same definition as a file.
    const q = await cli.ok(['solve', file, '-q', '--context', app], { cwd: work });
    expect(q.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('solve - with a Dockerfile on stdin', async () => {
    const out = join(work, 'stdin-df-out');
    await cli.ok(['solve', '-', '--progress=quiet', '-o', `type=local,dest=${out}`], {
      input: 'FROM busybox\nRUN echo from-stdin > /made.txt\n',
      cwd: work,
    });
    expect(await readFile(join(out, 'made.txt'), 'utf8')).toBe('from-stdin\n');
  });
});
