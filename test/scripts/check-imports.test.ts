import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';

const script = resolve(import.meta.dirname, '../../scripts/check-imports.ts');
const dirs: string[] = [];

/** A source tree of `files` (path → text) checked by the script; its exit code and stderr. */
async function check(files: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const root = await mkdtemp(join(tmpdir(), 'check-imports-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const r = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('sibling folders import each other through index.ts', () => {
  test('a file of one subfolder reaching into a sibling subfolder fails, naming the index to use', async () => {
    const r = await check({
      'executor/ops/exec.ts': "import { run } from '../runner/runc.ts';\n",
      'executor/runner/runc.ts': 'export const run = 1;\n',
      'executor/runner/index.ts': "export { run } from './runc.ts';\n",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "executor/ops/exec.ts:1: '../runner/runc.ts' reaches into executor/runner/ from outside it: import executor/runner/index.ts instead",
    );
  });

  test('a dynamic import and a nested pair of siblings are checked too', async () => {
    const r = await check({
      'frontends/dockerfile/convert/convert.ts': "export const f = () => import('../shell/lex.ts');\n",
      'frontends/dockerfile/shell/lex.ts': 'export const x = 1;\n',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('frontends/dockerfile/convert/convert.ts:1');
    expect(r.stderr).toContain('import frontends/dockerfile/shell/index.ts instead');
  });

  test("through the sibling's index.ts, from a folder into its own subfolder, and up to a parent's file: allowed", async () => {
    const r = await check({
      'executor/ops/exec.ts': "import { run } from '../runner/index.ts';\nimport { e } from '../errors.ts';\n",
      'executor/runner/index.ts': "export { run } from './runc.ts';\n",
      'executor/runner/runc.ts': "export const run = 1;\nimport { e } from '../errors.ts';\n",
      'executor/errors.ts': 'export const e = 1;\n',
      'executor/build.ts': "import { run } from './runner/runc.ts';\n",
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('test/ mirrors the tree and shares its support files: exempt', async () => {
    const r = await check({
      'test/cli/a.test.ts': "import { x } from '../support/cli.ts';\n",
      'test/support/cli.ts': 'export const x = 1;\n',
    });
    expect(r.status).toBe(0);
  });
});

describe('arrows between folders', () => {
  test('solver importing executor fails', async () => {
    const r = await check({ 'solver/solve.ts': "import { x } from '../executor/index.ts';\n", 'executor/index.ts': 'export const x = 1;\n' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("solver/solve.ts:1: solver/ may not import executor/ ('../executor/index.ts')");
  });

  test('frontends may import oci types only', async () => {
    const typeOnly = await check({ 'frontends/a.ts': "import type { T } from '../oci/index.ts';\n", 'oci/index.ts': 'export type T = 1;\n' });
    expect(typeOnly.status).toBe(0);
    const value = await check({ 'frontends/a.ts': "import { T } from '../oci/index.ts';\n", 'oci/index.ts': 'export const T = 1;\n' });
    expect(value.status).toBe(1);
  });
});

test('this checkout follows its own rules', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
