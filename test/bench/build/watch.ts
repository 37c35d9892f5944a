// Watch mode (tsbuild only): `build --watch -o type=local`, seconds from an edit of one context
// file to the new output on disk (e-app's /app/build.txt holds a digest of the sources).
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case } from './cases.ts';
import type { ContextChanges } from './timing.ts';
import type { TsbuildSide } from './tsbuild.ts';

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: () => string): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function watchLatencies(ts: TsbuildSide, c: Case, ctxDir: string, changes: ContextChanges, n: number): Promise<number[]> {
  const out = join(ts.data, 'watch-out');
  await rm(out, { recursive: true, force: true });
  const child = spawn(process.execPath, [ts.bin, 'build', '--watch', '--progress=quiet', `--network=${c.network}`, '-o', `type=local,dest=${out}`, ctxDir], {
    env: { ...process.env, TSBUILD_ROOT: ts.runRoot },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((res) => child.on('close', () => res()));
  const stamp = join(out, 'app/build.txt');
  const readStamp = async (): Promise<string | undefined> => {
    try {
      const s = await readFile(stamp, 'utf8');
      return /^[0-9a-f]{64} {2}-\n$/.test(s) ? s : undefined;
    } catch {
      return undefined;
    }
  };
  const times: number[] = [];
  try {
    let last = await waitFor(readStamp, 300_000, () => `the first watch build (${log})`);
    // The watcher arms after the first build's status line.
    await waitFor(
      async () => (log.includes('watching') ? true : undefined),
      60_000,
      () => 'the watch status line',
    );
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      await changes.apply(ctxDir, c.editFile!, 'edit');
      last = await waitFor(
        async () => {
          const s = await readStamp();
          return s !== undefined && s !== last ? s : undefined;
        },
        60_000,
        () => `a rebuild after the edit (${log})`,
      );
      times.push((performance.now() - t0) / 1000);
    }
  } finally {
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!stopped) {
      console.error('  watch: the process did not exit within 10 s of SIGTERM; killing it');
      child.kill('SIGKILL');
      await exited;
    }
  }
  return times;
}
