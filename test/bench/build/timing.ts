// Timing a builder as a separate process, and the context changes both builders see before a run.
import { spawn, spawnSync } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall seconds of one command; a failure throws with the end of its stderr. */
export async function timed(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const s = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}`);
  return s;
}

/** Flushes what the previous build wrote, so its writeback does not land in the next one's time. */
export function sync(): void {
  spawnSync('sync');
}

/** touch/edit change one context file; restore puts back its first content and fixed mtime. */
export class ContextChanges {
  readonly #pristine = new Map<string, Buffer>();

  async apply(ctxDir: string, file: string, how: 'touch' | 'edit' | 'restore'): Promise<void> {
    const path = join(ctxDir, file);
    if (!this.#pristine.has(path)) this.#pristine.set(path, await readFile(path));
    if (how === 'touch') {
      const now = new Date();
      await utimes(path, now, now);
    } else if (how === 'edit') {
      await writeFile(path, Buffer.concat([this.#pristine.get(path)!, Buffer.from(`// edit ${process.hrtime.bigint()}\n`)]));
    } else {
      await writeFile(path, this.#pristine.get(path)!);
      // gen-contexts.sh's fixed mtime
      const fixed = new Date('2024-01-01T00:00:00Z');
      await utimes(path, fixed, fixed);
    }
  }
}
