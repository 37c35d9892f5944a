// The launcher starts from the prebuilt CLI (a build under dist/ named by dist/current.json, made
// by scripts/setup.sh) while it matches the sources, and from the sources otherwise. The test
// command runs setup first, so here the prebuilt CLI must be current: CLI tests then exercise
// what users run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { prebuiltEntry } from '../../../cli/prebuilt.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('prebuilt CLI', () => {
  it('lists only files that exist, and is current after setup', () => {
    const { build } = JSON.parse(readFileSync(join(repo, 'dist/current.json'), 'utf8')) as { build: string };
    const { inputs } = JSON.parse(readFileSync(join(repo, 'dist', build, 'inputs.json'), 'utf8')) as { inputs: [string, number, number][] };
    const files = inputs.map(([f]) => f);
    expect(files).toContain('cli/main.ts');
    expect(files).toContain('node_modules/.package-lock.json');
    expect(files.filter((f) => !existsSync(join(repo, f)))).toEqual([]);
    expect(prebuiltEntry(pathToFileURL(repo))).toBe(join(repo, 'dist', build, 'main.js'));
  });

  it('answers like the sources do', () => {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [join(repo, 'cli/bin.js'), '--version'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const prebuilt = run({});
    const sources = run({ TSBUILD_SOURCES: '1' });
    expect(prebuilt.status).toBe(0);
    expect(prebuilt.stdout).toMatch(/^tsbuild \d+\.\d+\.\d+\n$/);
    expect(prebuilt.stdout).toBe(sources.stdout);
  });
});
