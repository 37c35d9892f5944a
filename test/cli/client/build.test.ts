// The programmatic API from the sources: build() from a file, a State and a Definition, its
// events as an async iterable and a callback, and failures as typed errors.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { marshal, mkfile, scratch } from '../../../llb/index.ts';
import { build, BuildError, BuildInputError, type BuildEvent } from '../../../cli/client/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { EXAMPLES } from '../../support/tsbuild-cli.ts';

describe('build() from a Node program', () => {
  let work: string;
  let root: string;
  let context: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-client-'));
    root = join(work, 'state');
    context = join(work, 'ctx');
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\nCMD ["/a.txt"]\n');
    await writeFile(join(context, 'Dockerfile.bad'), 'FROM scratch\nCOPY missing.txt /\n');
    await writeFile(join(context, 'Dockerfile.typo'), 'FROM scratch\nCOPPY a.txt /\n');
    await writeFile(join(context, 'a.txt'), 'a\n');
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('a Dockerfile: events in order through the iterable and the callback, then what was exported', async () => {
    const seen: BuildEvent[] = [];
    const run = build({ file: context, root, outputs: [`type=local,dest=${join(work, 'out1')}`], onEvent: (e) => seen.push(e) });
    const events: BuildEvent[] = [];
    for await (const e of run.events) events.push(e);
    const out = await run;
    expect(events).toEqual(seen);
    const copy = events.filter((e) => e.type === 'vertex' && e.name.includes('COPY a.txt'));
    // Started, then completed.
    expect(copy.map((e) => e.type === 'vertex' && e.completed !== undefined)).toEqual([false, true]);
    expect(out.frontend).toBe('dockerfile');
    expect(out.written).toEqual([`local ${join(work, 'out1')}`]);
    expect(await readFile(join(work, 'out1', 'a.txt'), 'utf8')).toBe('a\n');

    // The same build again is cached, and names the image by its digest in the store.
    const again = build({ file: join(context, 'Dockerfile'), root, tags: ['client-test:latest'] });
    const cached: string[] = [];
    for await (const e of again.events) if (e.type === 'vertex' && e.cached) cached.push(e.name);
    const image = await again;
    expect(cached.some((n) => n.includes('COPY a.txt'))).toBe(true);
    expect(image.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.names).toEqual(['docker.io/library/client-test:latest']);
  });

  test('a State with its image config, and a Definition', async () => {
    const state = scratch().file(mkfile('/s.txt', 0o644, 'state\n'));
    const fromState = await build({ state, image: { cmd: ['/s.txt'] }, root, outputs: [`type=oci,dest=${join(work, 's.tar')}`] });
    expect(fromState.frontend).toBe('llb');
    expect(fromState.imageDigest).toMatch(/^sha256:/);
    const fromDefinition = await build({ definition: marshal(state), root, outputs: [`type=local,dest=${join(work, 'out2')}`] });
    expect(fromDefinition.definition).toEqual(marshal(state));
    expect(await readFile(join(work, 'out2', 's.txt'), 'utf8')).toBe('state\n');
  });

  test('a failing step rejects with a BuildError naming it; the events still end', async () => {
    const run = build({ file: join(context, 'Dockerfile.bad'), context, root, outputs: [`type=local,dest=${join(work, 'out3')}`] });
    const failed: string[] = [];
    for await (const e of run.events) if (e.type === 'vertex' && e.error) failed.push(e.name);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err).toMatchObject({ reason: 'vertex-failed', exitCode: undefined, logTail: '' });
    expect((err as BuildError).step).toContain('COPY missing.txt /');
    expect(failed).toEqual([(err as BuildError).step]);
  });

  test('wrong input rejects with a BuildInputError that says what is wrong', async () => {
    await expect(build({ file: join(context, 'Dockerfile.typo'), context, root })).rejects.toThrow(BuildInputError);
    await expect(build({ file: join(context, 'Dockerfile.typo'), context, root })).rejects.toThrow(/Dockerfile\.typo:2.*COPPY/);
    await expect(build({ file: join(work, 'nope'), root })).rejects.toThrow(/nope: no such file or directory/);
    await expect(build({ file: context, state: scratch(), root })).rejects.toThrow('give exactly one of file, state and definition');
    await expect(build({ file: context, root, outputs: ['type=bogus'] })).rejects.toThrow(BuildInputError);
  });

  test('an aborted signal cancels the build with a BuildError', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await build({ file: context, root, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err).toMatchObject({ reason: 'canceled' });
  });
});

describe.runIf(requirePrereqs({ root: true, commands: ['runc'] }))('build() with a RUN step', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-client-run-'));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  });

  test('a failed RUN rejects with its step, exit code and last output lines', async () => {
    const root = join(work, 'state');
    // The base image, built by the API itself from the host's static busybox.
    await build({ file: join(EXAMPLES, 'busybox', 'build.ts'), locals: { busybox: '/usr/bin' }, tags: ['busybox:latest'], root });
    await writeFile(join(work, 'Dockerfile'), 'FROM busybox\nRUN echo to-stdout; echo to-stderr >&2; exit 3\n');
    const logs: string[] = [];
    const err = await build({ file: join(work, 'Dockerfile'), root, onEvent: (e) => e.type === 'log' && logs.push(Buffer.from(e.data).toString()) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BuildError);
    const failure = err as BuildError;
    expect(failure.step).toContain('RUN echo to-stdout');
    expect(failure.exitCode).toBe(3);
    expect(failure.logTail).toContain('to-stdout');
    expect(failure.logTail).toContain('to-stderr');
    expect(logs.join('')).toContain('to-stderr');
  });
});
