// A `tsbuild build --watch --progress=plain` child process and what it has printed so far.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { CLI_BIN } from '../../support/tsbuild-cli.ts';

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const readText = (p: string) => readFile(p, 'utf8').catch(() => '');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WatchProcess {
  readonly child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  log(): string;
  /** Builds started: each prints its first step as `#1 <name>`. */
  started(): number;
  /** Builds ended: a status line, or a cancellation. */
  ended(): number;
  /** Stops it (SIGINT) and waits until it has exited. */
  stop(): Promise<void>;
}

export function startWatch(args: readonly string[], env: Record<string, string>, cwd?: string): WatchProcess {
  let log = '';
  const child = spawn(process.execPath, [CLI_BIN, 'build', '--watch', '--progress=plain', ...args], {
    env: { ...process.env, CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const lines = () => log.split('\n');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    log: () => log,
    started: () => lines().filter((l) => /^#1 (?!DONE|CACHED|ERROR|CANCELED)/.test(l)).length,
    ended: () => lines().filter((l) => l.startsWith('watching ') || l.startsWith('build canceled')).length,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}
