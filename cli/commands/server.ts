// `tsbuild server`: runs a build server for the state root, in the foreground or (--detach) in
// the background; `--status` and `--stop` talk to a running one.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { parseDuration, UnitError } from '../../executor/index.ts';
import { defaultRoot } from '../../oci/index.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';
import { UsageError, UserError } from '../errors.ts';
import { ask, BuildServer, serverSocketPath } from '../server/index.ts';

const help = `Usage: tsbuild server [OPTIONS]

Run a build server for the state directory ($TSBUILD_ROOT). While it runs, \`tsbuild build\` and
\`tsbuild solve\` on the same state directory hand their work to it, and a build that is cached
costs little more than starting the command. Output, progress, exit codes and files written are
the same as without it. A command that reads stdin (\`-\`) or watches runs in its own process,
and so does any command while the server is busy with another, or when the server runs another
tsbuild build than the command (the server then stops). TSBUILD_SERVER=0 keeps a command out of it.

The server watches the build contexts it has hashed (inotify on their directories, for contexts
on local filesystems), so a later build reads and stats only the directories that changed since;
TSBUILD_WATCH_CONTEXTS=0 turns that off.

Options:
  -d, --detach              start in the background, return once it listens; its log is
                            run/server.log in the state directory
      --idle-timeout DUR    stop after DUR without a command, a Go duration (default 30m; 0: never)
      --status              say whether a server runs here, since when, how many commands it ran
      --stop                stop the running server (a command it is running finishes first)
  -h, --help                show this help`;

/**
 * The server runs the code the launcher would: the prebuilt or the installed CLI has an identity
 * to compare; sources that may be edited under it do not.
 */
function entryOrFail(): string {
  const entry = process.env.TSBUILD_CLI_ENTRY;
  if (!entry || entry === 'sources') {
    throw new UserError(
      'the build server runs a prebuilt or installed CLI, and this one runs from its sources: run scripts/setup.sh (it builds dist/) and try again',
    );
  }
  return entry;
}

async function status(path: string): Promise<number> {
  const s = await ask(path, { type: 'status' });
  if (!s) {
    process.stdout.write(`no tsbuild server runs for ${dirname(dirname(path))}\n`);
    return 1;
  }
  process.stdout.write(
    `tsbuild server pid ${String(s.pid)} since ${String(s.since)}: ${String(s.served)} commands run${s.busy ? ', running one now' : ''}\n` +
      `  root ${String(s.root)}\n  socket ${path}\n  cli ${String(s.entry)}\n`,
  );
  return 0;
}

async function stop(path: string): Promise<number> {
  const answer = await ask(path, { type: 'stop' });
  if (!answer) {
    process.stdout.write(`no tsbuild server runs for ${dirname(dirname(path))}\n`);
    return 1;
  }
  // It is gone once its socket no longer answers.
  for (let i = 0; i < 600 && (await ask(path, { type: 'status' })); i++) await new Promise((r) => setTimeout(r, 100));
  process.stdout.write('tsbuild server stopped\n');
  return 0;
}

async function detach(path: string, argv: string[]): Promise<number> {
  entryOrFail();
  const log = join(dirname(path), 'server.log');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(log, 'a', 0o600);
  const args = argv.filter((a) => a !== '-d' && a !== '--detach');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'server', ...args], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  for (let i = 0; i < 300 && exited === undefined; i++) {
    const s = await ask(path, { type: 'status' });
    if (s && s.pid === child.pid) {
      process.stdout.write(`tsbuild server started (pid ${child.pid}), listening on ${path}\n`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n');
  throw new UserError(`the server did not start${exited !== undefined ? ` (exit code ${exited})` : ''}; the end of ${log}:\n${tail}`);
}

async function foreground(root: string, idleTimeoutMs: number): Promise<number> {
  const entry = entryOrFail();
  const log = process.stderr.write.bind(process.stderr);
  const say = (line: string) => log(`${new Date().toISOString()} ${line}\n`);
  const { main } = await import('../main.ts');
  // Builds here share watched contexts: an unchanged context is not walked again.
  (await import('../../executor/index.ts')).watchContexts(true);
  const server = await BuildServer.start({ root, entry, idleTimeoutMs, run: (argv, signal) => main(argv, { signal }), log: say });
  say(`tsbuild server pid ${process.pid} listening on ${server.path}`);
  const t0 = performance.now();
  preload().then(
    () => say(`build code loaded in ${Math.round(performance.now() - t0)} ms`),
    (e: unknown) => say(`loading the build code failed: ${(e as Error).message}`),
  );
  const quit = () => void server.stop(true);
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  // A stray promise of one command must not take the others' server down with it.
  process.on('unhandledRejection', (err) => say(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`));
  await server.stopped;
  say('stopped');
  return 0;
}

/**
 * What a first build would load on demand (commands, frontends, ops), loaded while the server
 * waits: a server just started answers its first build with its code compiled, as a long-lived
 * one does.
 */
async function preload(): Promise<void> {
  const [{ preloadFrontends }, { preloadOps }] = await Promise.all([
    import('../build/index.ts'),
    import('../../executor/index.ts'),
    import('./build.ts'),
    import('./solve.ts'),
  ]);
  await Promise.all([preloadFrontends(), preloadOps()]);
}

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs(
      {
        args: argv,
        allowPositionals: false,
        options: {
          detach: { type: 'boolean', short: 'd' },
          'idle-timeout': { type: 'string' },
          status: { type: 'boolean' },
          stop: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      },
      help,
    );
    if (!parsed) return 0;
    const v = parsed.values;
    const root = defaultRoot();
    const path = serverSocketPath({ TSBUILD_ROOT: root });
    if (v.status) return status(path);
    if (v.stop) return stop(path);
    let idleTimeoutMs = 30 * 60_000;
    try {
      if (v['idle-timeout'] !== undefined) idleTimeoutMs = parseDuration(v['idle-timeout']);
    } catch (err) {
      if (err instanceof UnitError) throw new UsageError(`--idle-timeout: ${err.message}`);
      throw err;
    }
    if (v.detach) return detach(path, argv);
    return foreground(root, idleTimeoutMs);
  },
};
