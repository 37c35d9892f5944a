// One command of a client, run inside the server as it would run in the client's own process:
// the client's working directory, environment, stdout and stderr. The server runs one command at
// a time, so these process-wide values are lent to the command and given back after it.
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { ForwardStream, type StreamInfo } from './forward-stream.ts';
import { STDERR, STDOUT } from './frames.ts';

export interface RunRequest {
  readonly type: 'run';
  readonly argv: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Which CLI build the client runs (the prebuilt entry's path): the server must run the same. */
  readonly entry: string;
  readonly stdout: StreamInfo;
  readonly stderr: StreamInfo;
}

/** Sets `process.env` in place (the C environment follows, as child processes and libc read it). */
function replaceEnv(next: Record<string, string>): void {
  for (const k of Object.keys(process.env)) if (!(k in next)) delete process.env[k];
  for (const [k, v] of Object.entries(next)) if (process.env[k] !== v) process.env[k] = v;
}

/**
 * The client's terminal decides colours. Colour support is read once, when the terminal view
 * first loads, from the environment and file descriptor 2; the server's descriptor 2 is its log.
 */
function withColor(env: Record<string, string>, err: StreamInfo): Record<string, string> {
  if (!err.isTTY || 'FORCE_COLOR' in env || 'NO_COLOR' in env) return env;
  const level = err.colorDepth >= 24 ? '3' : err.colorDepth >= 8 ? '2' : err.colorDepth >= 4 ? '1' : '0';
  return { ...env, FORCE_COLOR: level };
}

async function finished(stream: ForwardStream): Promise<void> {
  if (stream.writableFinished) return;
  stream.end();
  await once(stream, 'finish').catch(() => {});
}

export async function runAsClient(req: RunRequest, socket: Socket, run: () => Promise<number>): Promise<number> {
  const saved = {
    cwd: process.cwd(),
    env: { ...process.env } as Record<string, string>,
    stdout: Object.getOwnPropertyDescriptor(process, 'stdout')!,
    stderr: Object.getOwnPropertyDescriptor(process, 'stderr')!,
  };
  const stdout = new ForwardStream(socket, STDOUT, req.stdout);
  const stderr = new ForwardStream(socket, STDERR, req.stderr);
  try {
    process.chdir(req.cwd);
    replaceEnv(withColor(req.env, req.stderr));
    Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stdout });
    Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stderr });
    return await run();
  } finally {
    Object.defineProperty(process, 'stdout', saved.stdout);
    Object.defineProperty(process, 'stderr', saved.stderr);
    replaceEnv(saved.env);
    process.chdir(saved.cwd);
    await Promise.all([finished(stdout), finished(stderr)]);
  }
}
