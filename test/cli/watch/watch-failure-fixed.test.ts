// A step fails, the user fixes the cause, and the rebuild that the fix triggers succeeds: watch
// mode remembers nothing of the failure.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readText, startWatch, waitFor, type WatchProcess } from './watch-process.ts';

describe('watch mode after a failed step', () => {
  let w: WatchProcess | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await w?.stop();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('rebuilds once the COPY source is a file again, and the output appears', async () => {
    const [ctx, out, root] = await Promise.all(['watch-fix-', 'watch-fix-out-', 'watch-fix-root-'].map((p) => mkdtemp(join(tmpdir(), p))));
    dirs.push(ctx!, out!, root!);
    await writeFile(join(ctx!, 'Dockerfile'), 'FROM scratch\nCOPY app.txt /app.txt\n');
    // A named pipe cannot be copied into an image: the COPY step fails.
    execFileSync('mkfifo', [join(ctx!, 'app.txt')]);
    w = startWatch(['-o', `type=local,dest=${out}`, ctx!], { TSBUILD_ROOT: root! });
    await waitFor(() => w!.ended() === 1, `the first status line (log: ${w.log()})`);
    expect(w.log()).toMatch(/named pipe is not supported/);
    expect(w.log()).toMatch(/last build [\d.]+s ✘/);

    await rm(join(ctx!, 'app.txt'));
    await writeFile(join(ctx!, 'app.txt'), 'fixed\n');
    await waitFor(async () => (await readText(join(out!, 'app.txt'))) === 'fixed\n', `the output after the fix (log: ${w.log()})`);
    await waitFor(() => w!.ended() >= 2 && /last build [\d.]+s ✔/.test(w!.log()), `a successful status line (log: ${w.log()})`);
  });
});
