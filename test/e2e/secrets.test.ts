// `--secret`: the value reaches RUN through its mount and nowhere else — not in a layer, not in
// the image config, not in the exported archive.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { seededCli, type Cli } from '../support/tsbuild-cli.ts';
import { parsePlain, step } from './helpers.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['runc', 'tar'] });
const SECRET = 'tok-3f9a1c77-not-for-layers';

function decompressed(blob: Buffer): Buffer {
  if (blob[0] === 0x1f && blob[1] === 0x8b) return gunzipSync(blob);
  if (blob.readUInt32LE(0) === 0xfd2fb528) return zstdDecompressSync(blob);
  return blob;
}

describe.runIf(run).concurrent('secrets', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-secret-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a file secret is readable in RUN and absent from every blob of the OCI export', async () => {
    const ctx = join(work, 'ctx');
    await mkdir(ctx, { recursive: true });
    const secretFile = join(work, 'tok.txt');
    await writeFile(secretFile, SECRET);
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        'FROM busybox',
        // Only a fragment of the value appears in the Dockerfile (which the image's history quotes).
        'RUN --mount=type=secret,id=tok grep -q 3f9a1c77 /run/secrets/tok && echo secret-ok > /proof',
        'RUN --mount=type=secret,id=tok,target=/etc/custom-tok wc -c < /etc/custom-tok > /size',
        '',
      ].join('\n'),
    );
    const out = join(work, 'out.tar');
    const b = await cli.ok(['build', '--progress=plain', '--secret', `id=tok,src=${secretFile}`, '-o', `type=oci,dest=${out}`, ctx]);
    expect(step(parsePlain(b.stderr), '[2/3] RUN').done).toBe(true);

    const layout = join(work, 'layout');
    await mkdir(layout);
    await exec('tar', ['-xf', out, '-C', layout]);
    const blobsDir = join(layout, 'blobs', 'sha256');
    const blobs = await readdir(blobsDir);
    expect(blobs.length).toBeGreaterThanOrEqual(4);
    let sawProof = false;
    for (const name of blobs) {
      const data = decompressed(await readFile(join(blobsDir, name)));
      expect({ blob: name, leaks: data.includes(SECRET) }).toEqual({ blob: name, leaks: false });
      if (data.includes('secret-ok')) sawProof = true;
    }
    // The RUN did see the secret (its proof file is in a layer), yet the value is nowhere.
    expect(sawProof).toBe(true);

    const fs = join(work, 'fs');
    await cli.ok(['build', '--progress=quiet', '--secret', `id=tok,src=${secretFile}`, '-o', `type=local,dest=${fs}`, ctx]);
    expect(await readFile(join(fs, 'proof'), 'utf8')).toBe('secret-ok\n');
    expect((await readFile(join(fs, 'size'), 'utf8')).trim()).toBe(String(SECRET.length));
    expect(await readFile(join(fs, 'run', 'secrets', 'tok'), 'utf8').catch(() => '')).toBe('');
    expect(await readFile(join(fs, 'etc', 'custom-tok'), 'utf8').catch(() => '')).toBe('');
  });

  test('an env secret, and a required secret that was not given', async () => {
    const ctx = join(work, 'env');
    await mkdir(ctx, { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=secret,id=envtok,env=TOKEN test "$TOKEN" = from-env && echo env-ok > /proof\n');
    const out = join(work, 'env-out');
    await cli.ok(['build', '--progress=quiet', '--secret', 'id=envtok,env=MY_TOKEN', '-o', `type=local,dest=${out}`, ctx], { env: { MY_TOKEN: 'from-env' } });
    expect(await readFile(join(out, 'proof'), 'utf8')).toBe('env-ok\n');

    const req = join(work, 'required');
    await mkdir(req, { recursive: true });
    await writeFile(join(req, 'Dockerfile'), 'FROM busybox\nRUN --mount=type=secret,id=missing,required cat /run/secrets/missing\n');
    const r = await cli.run(['build', '--progress=plain', req]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing');
  });
});
