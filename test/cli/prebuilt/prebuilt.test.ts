// The launcher starts from the prebuilt CLI (dist/cli/, made by scripts/setup.sh) while it matches
// the sources, and from the sources otherwise. The test command runs setup first, so here the
// prebuilt CLI must be current: CLI tests then exercise what users run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { prebuiltIsCurrent } from '../../../cli/prebuilt.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('prebuilt CLI', () => {
  it('lists only source files that exist, and is current after setup', () => {
    const { inputs } = JSON.parse(readFileSync(join(repo, 'dist/cli/inputs.json'), 'utf8')) as { inputs: string[] };
    expect(inputs).toContain('cli/main.ts');
    expect(inputs.filter((f) => !existsSync(join(repo, f)))).toEqual([]);
    expect(prebuiltIsCurrent(pathToFileURL(repo))).toBe(true);
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
