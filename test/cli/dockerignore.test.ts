// The build file's own ignore file (`Dockerfile.dockerignore`) wins over the context's, and
// messages name the Dockerfile as the context sees it.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempRoot } from '../support/tsbuild-cli.ts';

describe('ignore files and file names', async () => {
  const { root, dispose } = await tempRoot();
  afterAll(dispose);

  it('applies <Dockerfile>.dockerignore before .dockerignore', async () => {
    const ctx = await mkdtemp(join(tmpdir(), 'ignore-ctx-'));
    const out = await mkdtemp(join(tmpdir(), 'ignore-out-'));
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
    for (const f of ['a', 'b', 'c']) await writeFile(join(ctx, f), f);
    await writeFile(join(ctx, '.dockerignore'), 'a\n');
    await writeFile(join(ctx, 'Dockerfile.dockerignore'), 'b\n*.dockerignore\nDockerfile\n');
    const r = await runCli(['build', '--progress=quiet', '-o', `type=local,dest=${out}`, ctx], { root });
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['a', 'c']);
  });

  it('names the Dockerfile relative to the context in errors', async () => {
    const ctx = await mkdtemp(join(tmpdir(), 'ignore-err-'));
    await writeFile(join(ctx, 'Dockerfile'), 'FROM scratch\n\nCOPPY a b\n');
    const r = await runCli(['build', ctx], { root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: Dockerfile:3: unknown instruction: COPPY (did you mean COPY?)');
  });
});
