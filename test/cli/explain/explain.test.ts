// End to end over the real frontend and solver (fake ops, real keys and statuses): each edit of
// a build is explained by naming exactly what changed, and nothing else is reported as run.
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeBuilder } from './fake-build.ts';

const DOCKERFILE = `FROM busybox
ARG VERSION=1
ENV MODE=release
COPY package.json /app/
RUN echo install $VERSION
COPY src/ /app/src/
RUN echo build
`;

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

let ctx: string;
let builder: FakeBuilder;

beforeEach(async () => {
  ctx = await mkdtemp(join(tmpdir(), 'tsbuild-explain-'));
  made.push(ctx);
  await mkdir(join(ctx, 'src/lib'), { recursive: true });
  await writeFile(join(ctx, 'package.json'), '{"name":"app"}\n');
  await writeFile(join(ctx, 'src/index.ts'), 'export const a = 1;\n');
  await writeFile(join(ctx, 'src/lib/util.ts'), 'export {};\n');
  await writeFile(join(ctx, 'README.md'), '# app\n');
  builder = new FakeBuilder(ctx);
  await builder.build(DOCKERFILE);
});

const CONTEXT = '[internal] load build context';

describe('explain', () => {
  it('first build: every step that ran says there is no previous build', async () => {
    const fresh = new FakeBuilder(ctx);
    const r = await fresh.build(DOCKERFILE);
    expect(r.ran).toHaveLength(6);
    expect(new Set(Object.values(r.reasons))).toEqual(new Set(['no previous build']));
    expect(Object.keys(r.reasons).sort()).toEqual([...r.ran].sort());
  });

  it('unchanged rebuild: only the context is re-read, and it says no file changed', async () => {
    const r = await builder.build(DOCKERFILE);
    expect(r.ran).toEqual([CONTEXT]);
    expect(r.reasons).toEqual({ [CONTEXT]: 'read on every build; no file changed' });
  });

  it('one context file edited: the COPY that reads it names that file; the COPY that does not read it stays cached', async () => {
    await writeFile(join(ctx, 'src/index.ts'), 'export const a = 2;\n');
    const r = await builder.build(DOCKERFILE);
    expect(r.ran).toEqual([CONTEXT, '[6/7] COPY src/ /app/src/', '[7/7] RUN echo build']);
    expect(r.reasons).toEqual({
      [CONTEXT]: 'src/index.ts changed',
      '[6/7] COPY src/ /app/src/': 'src/index.ts changed',
      '[7/7] RUN echo build': 'input "[6/7] COPY src/ /app/src/" changed',
    });
    expect(r.lines).toEqual([
      `#2 ${CONTEXT}: src/index.ts changed`,
      '#5 [6/7] COPY src/ /app/src/: src/index.ts changed',
      '#6 [7/7] RUN echo build: input "[6/7] COPY src/ /app/src/" changed',
    ]);
  });

  it('a file no step reads changes nothing but the context', async () => {
    await writeFile(join(ctx, 'README.md'), '# app, documented\n');
    const r = await builder.build(DOCKERFILE);
    expect(r.ran).toEqual([CONTEXT]);
    expect(r.reasons).toEqual({ [CONTEXT]: 'README.md changed' });
  });

  it('added, removed and chmodded files are named as such, within what each COPY reads', async () => {
    await writeFile(join(ctx, 'src/lib/new.ts'), 'export {};\n');
    await rm(join(ctx, 'src/lib/util.ts'));
    await chmod(join(ctx, 'package.json'), 0o600);
    const r = await builder.build(DOCKERFILE);
    expect(r.reasons['[4/7] COPY package.json /app/']).toBe('package.json changed');
    // its base (the install step) ran again first: that is the first changed input
    expect(r.reasons['[6/7] COPY src/ /app/src/']).toBe('input "[5/7] RUN echo install $VERSION" changed');
    expect(r.reasons[CONTEXT]).toBe('package.json changed, src/lib/new.ts added, src/lib/util.ts removed');
  });

  it('many changed files end in "and N more"', async () => {
    for (let i = 0; i < 6; i++) await writeFile(join(ctx, `src/f${i}.ts`), `${i}\n`);
    const r = await builder.build(DOCKERFILE);
    expect(r.reasons['[6/7] COPY src/ /app/src/']).toBe('src/f0.ts added, src/f1.ts added, src/f2.ts added and 3 more');
  });

  it('one ARG changed: the RUNs that see it say which variable changed', async () => {
    const r = await builder.build(DOCKERFILE, { buildArgs: { VERSION: '2' } });
    expect(r.reasons).toEqual({
      [CONTEXT]: 'read on every build; no file changed',
      '[5/7] RUN echo install $VERSION': 'ENV VERSION changed',
      '[6/7] COPY src/ /app/src/': 'input "[5/7] RUN echo install $VERSION" changed',
      '[7/7] RUN echo build': 'ENV VERSION changed',
    });
  });

  it('one ENV value changed, or one added', async () => {
    let r = await builder.build(DOCKERFILE.replace('MODE=release', 'MODE=debug'));
    expect(r.reasons['[5/7] RUN echo install $VERSION']).toBe('ENV MODE changed');
    r = await builder.build(DOCKERFILE.replace('ENV MODE=release', 'ENV MODE=debug EXTRA=1'));
    expect(r.reasons['[5/7] RUN echo install $VERSION']).toBe('ENV EXTRA added');
  });

  it('one RUN command changed: that step says so, and its unchanged predecessors stay cached', async () => {
    const r = await builder.build(DOCKERFILE.replace('RUN echo build', 'RUN echo build --release'));
    expect(r.reasons).toEqual({
      [CONTEXT]: 'read on every build; no file changed',
      '[7/7] RUN echo build --release': 'command changed',
    });
  });

  it('an inserted step is new; the steps after it are matched by name despite the renumbering', async () => {
    const r = await builder.build(DOCKERFILE.replace('RUN echo build', 'RUN echo lint\nRUN echo build'));
    expect(r.reasons['[7/8] RUN echo lint']).toBe('new step');
    expect(r.reasons['[8/8] RUN echo build']).toBe('input "[7/8] RUN echo lint" changed');
  });

  it('a changed base image is named with both references', async () => {
    const r = await builder.build(DOCKERFILE.replace('FROM busybox', 'FROM alpine:3.19'));
    expect(r.reasons['[1/7] FROM docker.io/library/alpine:3.19']).toBe('image changed: docker.io/library/busybox:latest → docker.io/library/alpine:3.19');
    expect(r.reasons['[4/7] COPY package.json /app/']).toBe('input "[1/7] FROM docker.io/library/alpine:3.19" changed');
  });

  it('a changed .dockerignore changes the context source', async () => {
    const r = await builder.build(DOCKERFILE, { excludes: ['README.md'] });
    expect(r.reasons[CONTEXT]).toBe('source changed: exclude patterns (.dockerignore)');
  });

  it('a RUN that bind-mounts part of the context names the changed files it mounts, and only those', async () => {
    await mkdir(join(ctx, 'scripts'));
    await writeFile(join(ctx, 'scripts/check.sh'), 'exit 0\n');
    const df = DOCKERFILE + 'RUN --mount=type=bind,source=scripts,target=/scripts sh /scripts/check.sh\n';
    await builder.build(df);
    await writeFile(join(ctx, 'README.md'), 'edited\n');
    expect((await builder.build(df)).ran).toEqual([CONTEXT]);
    await writeFile(join(ctx, 'scripts/check.sh'), 'exit 1\n');
    const r = await builder.build(df);
    expect(r.reasons).toEqual({
      [CONTEXT]: 'scripts/check.sh changed',
      '[8/8] RUN --mount=type=bind,source=scripts,target=/scripts sh /scripts/check.sh': 'scripts/check.sh changed',
    });
  });

  it('a context read from another directory says so', async () => {
    const other = await mkdtemp(join(tmpdir(), 'tsbuild-explain-other-'));
    made.push(other);
    await cp(ctx, other, { recursive: true });
    const moved = new FakeBuilder(other);
    moved.previous = builder.previous;
    const r = await moved.build(DOCKERFILE);
    expect(r.reasons[CONTEXT]).toBe(`directory changed: ${ctx} → ${other}`);
  });

  it('--no-cache: every step says --no-cache', async () => {
    const r = await builder.build(DOCKERFILE, { noCache: true });
    expect(r.ran).toHaveLength(6);
    expect(new Set(Object.values(r.reasons))).toEqual(new Set(['--no-cache']));
  });

  it('a step whose cached data was removed says so', async () => {
    const last = builder.previous!.vertices.find((v) => v.name === '[7/7] RUN echo build')!;
    builder.results.delete(last.resultIds!['0']!);
    const r = await builder.build(DOCKERFILE);
    expect(r.reasons).toEqual({
      [CONTEXT]: 'read on every build; no file changed',
      '[7/7] RUN echo build': 'cached result was removed',
    });
  });
});
