// The build program fails while it loads (a module it imports does not parse or throws), the
// user fixes that module, and the fix alone triggers one rebuild: watch mode watches every file
// the failed load had pulled in, not only the build file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readText, sleep, startWatch, waitFor, type WatchProcess } from './watch-process.ts';

const program = (from: string) =>
  ["import { mkfile, scratch } from 'tsbuild';", `import { v } from '${from}';`, "export default scratch().file(mkfile('/out.txt', 0o644, v));"].join('\n');

describe('watch mode after a build program failed to load', () => {
  let w: WatchProcess | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await w?.stop();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  /** Starts watch mode on `files`, waits for the failed first build, then writes `fix`. */
  async function failThenFix(files: Record<string, string>, error: RegExp, fix: [string, string]): Promise<void> {
    const [ctx, out, root] = await Promise.all(['watch-load-', 'watch-load-out-', 'watch-load-root-'].map((p) => mkdtemp(join(tmpdir(), p))));
    dirs.push(ctx!, out!, root!);
    for (const [name, text] of Object.entries(files)) await writeFile(join(ctx!, name), text);
    w = startWatch(['-o', `type=local,dest=${out}`, ctx!], { TSBUILD_ROOT: root! });
    await waitFor(() => w!.ended() === 1, `the first status line (log: ${w.log()})`);
    expect(w.log()).toMatch(error);
    expect(w.log()).toMatch(/last build [\d.]+s ✘/);

    await writeFile(join(ctx!, fix[0]), fix[1]);
    // Only the fix is written: nothing else may start the rebuild.
    await waitFor(async () => (await readText(join(out!, 'out.txt'))) === 'v1', `the output after the fix (log: ${w.log()})`);
    await waitFor(() => /last build [\d.]+s ✔/.test(w!.log()), `a successful status line (log: ${w.log()})`);
    // One save, one rebuild: nothing else is queued behind it.
    await sleep(500);
    expect(w.ended(), w.log()).toBe(2);
  }

  it('rebuilds once an imported module with a syntax error is fixed', async () => {
    await failThenFix({ 'build.ts': program('./lib.ts'), 'lib.ts': "export const v = 'v1' +;\n" }, /lib\.ts:1: Expression expected/, [
      'lib.ts',
      "export const v = 'v1';\n",
    ]);
  });

  it('rebuilds once an imported module that throws at top level is fixed', async () => {
    await failThenFix(
      { 'build.ts': program('./lib.ts'), 'lib.ts': "throw new Error('lib is not ready');\nexport const v = 'v1';\n" },
      /lib\.ts:1:\d+: lib is not ready/,
      ['lib.ts', "export const v = 'v1';\n"],
    );
  });

  it('rebuilds once a module imported two levels deep is fixed', async () => {
    await failThenFix(
      { 'build.ts': program('./a.ts'), 'a.ts': "export { v } from './b.ts';\n", 'b.ts': 'export const v: string = ;\n' },
      /b\.ts:1: Expression expected/,
      ['b.ts', "export const v: string = 'v1';\n"],
    );
  });

  it('rebuilds once a module that the program imports but that does not exist yet is written', async () => {
    await failThenFix({ 'build.ts': program('./lib.ts') }, /Cannot find module .*lib\.ts/, ['lib.ts', "export const v = 'v1';\n"]);
  });
});
