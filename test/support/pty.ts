// Runs a command on a real terminal and returns what the screen shows when it has exited: the
// check that a TTY view really draws on a terminal (cursor moves, erases, <Static> output), which
// in-memory renderers cannot prove. Uses tmux (a private server per call, so a developer's own
// tmux sessions are never touched); callers check `requirePrereqs({ commands: ['tmux'] })`.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PtyOptions {
  /** Terminal size. Default 100×30. */
  readonly cols?: number;
  readonly rows?: number;
  readonly cwd?: string;
  /** Added to the environment (`undefined` removes a variable); CI is removed unless set here. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Give up (and fail) after this long. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface PtyResult {
  /** The terminal's content, scrollback included, trailing blanks trimmed from each line. */
  readonly screen: string;
  readonly exitCode: number;
}

export const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export async function runInPty(argv: readonly string[], options: PtyOptions = {}): Promise<PtyResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-pty-'));
  const socket = join(dir, 'tmux.sock');
  const exitFile = join(dir, 'exit');
  const conf = join(dir, 'tmux.conf');
  // Keep the pane (and its screen) after the command exits, and keep all of its output.
  await writeFile(conf, 'set -g remain-on-exit on\nset -g history-limit 10000\nset -g status off\n');
  const env: Record<string, string | undefined> = { CI: undefined, ...options.env };
  // env(1) reads options before assignments: every `-u NAME` must come before the first NAME=VALUE.
  const entries = Object.entries(env);
  const envArgs = [
    ...entries.filter(([, v]) => v === undefined).map(([k]) => `-u ${quote(k)}`),
    ...entries.filter(([, v]) => v !== undefined).map(([k, v]) => quote(`${k}=${v}`)),
  ];
  const command = `cd ${quote(options.cwd ?? process.cwd())} && env ${envArgs.join(' ')} ${argv.map(quote).join(' ')}; echo $? > ${quote(exitFile)}; tmux -S ${quote(socket)} wait-for -S exited`;
  const tmux = (...args: string[]) => run('tmux', ['-S', socket, '-f', conf, ...args], { timeout: options.timeoutMs ?? 30_000 });
  try {
    await tmux('new-session', '-d', '-s', 'main', '-x', String(options.cols ?? 100), '-y', String(options.rows ?? 30), command);
    // tmux remembers a signal sent before anyone waits, so this cannot miss a fast command.
    await tmux('wait-for', 'exited');
    const { stdout } = await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main');
    const screen = stdout
      .split('\n')
      .map((l) => l.trimEnd())
      // tmux's own note under a pane kept after its command exited.
      .filter((l) => !l.startsWith('Pane is dead'))
      .join('\n')
      .replace(/\n+$/, '');
    const exitCode = Number((await readFile(exitFile, 'utf8')).trim());
    return { screen, exitCode };
  } finally {
    await tmux('kill-server').catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}
