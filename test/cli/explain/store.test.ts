import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILD_RECORD_VERSION, loadRecord, recordPath, saveRecord, targetIdentity, type BuildRecord } from '../../../cli/explain/index.ts';

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function root(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tsbuild-explain-store-'));
  made.push(d);
  return d;
}

const record = (created: string): BuildRecord => ({ version: BUILD_RECORD_VERSION, created, noCache: false, vertices: [] });

describe('record store', () => {
  it('keeps one record per target identity, and the last save wins', async () => {
    const r = await root();
    const a = targetIdentity({ buildFile: 'Dockerfile', platform: 'linux/amd64' });
    const b = targetIdentity({ buildFile: 'Dockerfile', target: 'test', platform: 'linux/amd64' });
    const c = targetIdentity({ buildFile: 'Dockerfile', platform: 'linux/arm64' });
    expect(new Set([recordPath(r, a), recordPath(r, b), recordPath(r, c)]).size).toBe(3);
    expect(recordPath(r, a)).toMatch(/\/explain\/[0-9a-f]{64}\.json$/);
    expect(await loadRecord(r, a)).toBeUndefined();
    await saveRecord(r, a, record('one'));
    await saveRecord(r, b, record('two'));
    await saveRecord(r, a, record('three'));
    expect((await loadRecord(r, a))?.created).toBe('three');
    expect((await loadRecord(r, b))?.created).toBe('two');
    expect(await loadRecord(r, c)).toBeUndefined();
    // written through temp files that are renamed: none is left behind
    expect((await readdir(join(r, 'explain'))).filter((n) => !n.endsWith('.json'))).toEqual([]);
  });

  it('the identity does not depend on how the build file was spelled', () => {
    const cwd = process.cwd();
    expect(targetIdentity({ buildFile: 'Dockerfile' })).toBe(targetIdentity({ buildFile: join(cwd, 'Dockerfile') }));
    expect(targetIdentity({ buildFile: 'a/Dockerfile' })).not.toBe(targetIdentity({ buildFile: 'b/Dockerfile' }));
  });

  it('ignores a damaged record or one of another version', async () => {
    const r = await root();
    const id = targetIdentity({ buildFile: 'Dockerfile' });
    await saveRecord(r, id, record('x'));
    await writeFile(recordPath(r, id), '{"version":1,"vertic');
    expect(await loadRecord(r, id)).toBeUndefined();
    await writeFile(recordPath(r, id), JSON.stringify({ ...record('x'), version: 999 }));
    expect(await loadRecord(r, id)).toBeUndefined();
  });
});
