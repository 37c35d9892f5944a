// A build description that fails to compile still says what it had read, and watch mode
// watches exactly that (with the build file) until the next build: the fix may be in any of them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileBuild } from '../../../cli/build/run-build.ts';
import { plainRequest } from '../../../cli/build/request.ts';
import { watchSetAfterFailure } from '../../../cli/watch/watch-set.ts';
import { FrontendError } from '../../../frontends/driver.ts';
import { UserError } from '../../../cli/errors.ts';

let ctx: string;
beforeAll(async () => {
  ctx = await mkdtemp(join(tmpdir(), 'tsbuild-compile-failure-'));
});
afterAll(() => rm(ctx, { recursive: true, force: true }));

const request = () => plainRequest(join(ctx, 'Dockerfile'), ctx, join(ctx, '.state'), { os: 'linux', architecture: 'amd64' });

async function failure(): Promise<FrontendError> {
  const err = await compileBuild(request(), undefined, {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FrontendError);
  return err as FrontendError;
}

describe('a Dockerfile that fails to compile', () => {
  it('names the Dockerfile and the ignore files the frontend looked for', async () => {
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPPY a /a\n');
    const err = await failure();
    expect(err.message).toMatch(/^Dockerfile:2: unknown instruction: COPPY/);
    expect(err.dependencies).toEqual([join(ctx, 'Dockerfile'), join(ctx, 'Dockerfile.dockerignore'), join(ctx, '.dockerignore')]);

    const set = watchSetAfterFailure(err, request(), { files: ['/elsewhere/old.ts'], contexts: [] });
    expect(set.files).toEqual(expect.arrayContaining([...err.dependencies]));
    expect(set.files).not.toContain('/elsewhere/old.ts');
    // No definition, so no context: an edit there cannot fix the Dockerfile.
    expect(set.contexts).toEqual([]);
  });

  it('keeps the last watch set for a failure that names no files', () => {
    const last = { files: ['/elsewhere/old.ts'], contexts: [] };
    expect(watchSetAfterFailure(new UserError('registry unreachable'), request(), last)).toBe(last);
  });

  it('lists the ignore files it read among the dependencies of a build that compiles', async () => {
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a /a\n');
    const compiled = await compileBuild(request(), undefined, {});
    expect(compiled.dependencies).toEqual([join(ctx, 'Dockerfile'), join(ctx, 'Dockerfile.dockerignore'), join(ctx, '.dockerignore')]);
  });
});
