// A rebuild of unchanged input that hits the cache exports the same image (same manifest
// digest), as BuildKit keeps the image ID of a cached rebuild; a changed input gives a new one.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild, type BuildResult } from '../../../cli/build/run-build.ts';
import { plainRequest, type BuildRequest } from '../../../cli/build/request.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsbuild-digest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(ctx: string, root: string): BuildRequest {
  return { ...plainRequest(join(ctx, 'Dockerfile'), ctx, root, { os: 'linux', architecture: 'amd64' }), tags: ['digest-test:latest'] };
}

function digestOf(r: BuildResult): string {
  if (!r.ok) throw new Error(r.message);
  expect(r.exported.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  return r.exported.imageDigest!;
}

describe('image digest of a rebuild', () => {
  it('is the same when nothing changed, and new when the context changed', async () => {
    const ctx = join(dir, 'ctx');
    const root = join(dir, 'root');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY a.txt /a.txt\nENV X=1\n');
    await writeFile(join(ctx, 'a.txt'), 'one\n');
    delete process.env.SOURCE_DATE_EPOCH;

    const first = digestOf(await runBuild(request(ctx, root)));
    // The config's times have millisecond resolution: "now" would differ between the two builds
    // (each takes far longer than 1 ms), so equal digests mean the time came from the result.
    const second = digestOf(await runBuild(request(ctx, root)));
    expect(second).toBe(first);

    await writeFile(join(ctx, 'a.txt'), 'two\n');
    const third = digestOf(await runBuild(request(ctx, root)));
    expect(third).not.toBe(first);
  });
});
