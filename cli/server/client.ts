// The launcher's side of the build server (server.ts): when a server runs for this state root,
// `build` and `solve` are handed to it and this process only relays its output and exit code.
// It imports nothing but Node's own modules and the two files beside it: it runs before the CLI
// loads, and a cached rebuild's whole cost is this module plus the server's answer.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { StreamInfo } from './forward-stream.ts';
import { CONTROL, controlFrame, FrameReader, STDERR, STDOUT } from './frames.ts';
import { MAX_SOCKET_PATH, serverSocketPath } from './socket-path.ts';

const SERVED = new Set(['build', 'solve']);

/**
 * Whether a server may run this command line: `build` and `solve`, unless they read stdin (a `-`
 * argument or `=-` value) or watch (a long-lived process of its own already).
 */
export function servable(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env.TSBUILD_SERVER === '0') return false;
  const args = argv.filter((a) => a !== '--debug');
  if (!SERVED.has(args[0] ?? '')) return false;
  return !args.some((a) => a === '-' || a.endsWith('=-') || a === '--watch' || a.startsWith('--watch='));
}

function streamInfo(s: NodeJS.WriteStream): StreamInfo {
  return { isTTY: s.isTTY === true, columns: s.columns, rows: s.rows, colorDepth: s.isTTY ? s.getColorDepth() : 1 };
}

/**
 * Runs the command line on this root's server. Resolves to its exit code, or to undefined when
 * no server took it (none runs, it is busy, or it runs another tsbuild build): the caller then
 * runs the command itself. `entry` names the CLI build this launcher would run: the server must
 * run the same.
 */
export function runOnServer(argv: string[], entry: string): Promise<number | undefined> {
  const env = process.env;
  if (!servable(argv, env)) return Promise.resolve(undefined);
  const path = serverSocketPath(env);
  if (path.length > MAX_SOCKET_PATH || !existsSync(path)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = connect(path);
    const reader = new FrameReader();
    let accepted = false;
    let interrupted = false;
    let settled = false;
    const finish = (code: number | undefined) => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      socket.destroy();
      resolve(code !== undefined && interrupted ? 130 : code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      // A second interrupt, or one before the server took the command, ends this process now.
      if (!accepted || interrupted) process.exit(130);
      interrupted = true;
      socket.write(controlFrame({ type: 'signal', signal }));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    socket.on('connect', () => {
      const run = { type: 'run', argv, cwd: process.cwd(), env, entry, stdout: streamInfo(process.stdout), stderr: streamInfo(process.stderr) };
      socket.write(controlFrame(run));
    });
    socket.on('data', (chunk: Buffer) => {
      for (const { channel, payload } of reader.push(chunk)) {
        if (channel === STDOUT || channel === STDERR) {
          const out = channel === STDOUT ? process.stdout : process.stderr;
          if (!out.write(payload)) {
            socket.pause();
            out.once('drain', () => socket.resume());
          }
        } else if (channel === CONTROL) {
          const msg = JSON.parse(payload.toString('utf8')) as { type: string; code?: number };
          if (msg.type === 'accepted') accepted = true;
          else if (msg.type === 'declined') finish(undefined);
          else if (msg.type === 'exit') finish(msg.code);
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (settled) return;
      if (!accepted) return finish(undefined);
      process.stderr.write(`error: the tsbuild server (${path}) ended before the command finished; its log is server.log beside the socket\n`);
      finish(1);
    });
  });
}
