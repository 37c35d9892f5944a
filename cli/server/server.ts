// The build server: a long-lived tsbuild process per state root that runs `build` and `solve`
// for the launcher (cli/server/client.ts) over `<root>/run/server.sock`. A cached rebuild is
// then the launcher's start plus a build in a process whose code is loaded and compiled already,
// as docker's client hands builds to a running BuildKit. One command runs at a time; a client
// that finds the server busy, or running another tsbuild build, runs the command itself.
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { UserError } from '../errors.ts';
import { runAsClient, type RunRequest } from './client-process.ts';
import { CONTROL, controlFrame, FrameReader } from './frames.ts';
import { MAX_SOCKET_PATH, serverSocketPath } from './socket-path.ts';

export interface ServerOptions {
  readonly root: string;
  /** The CLI build this process runs (see RunRequest.entry). */
  readonly entry: string;
  /** Stop after this long without a command; 0: never. */
  readonly idleTimeoutMs: number;
  /** Runs one command line (the CLI's main). */
  readonly run: (argv: string[], signal: AbortSignal) => Promise<number>;
  readonly log: (line: string) => void;
  /** Stop after a command that leaves the process bigger than this (default 2 GiB). */
  readonly maxRssBytes?: number;
}

const DEFAULT_MAX_RSS = 2 * 1024 ** 3;

export interface ServerStatus {
  readonly type: 'status';
  readonly pid: number;
  readonly root: string;
  readonly entry: string;
  readonly since: string;
  readonly served: number;
  readonly busy: boolean;
}

type Message = RunRequest | { type: 'status' } | { type: 'stop' } | { type: 'signal'; signal: string };

/** True when something answers on `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class BuildServer {
  readonly path: string;
  readonly #opts: ServerOptions;
  readonly #server: Server;
  readonly #since = new Date().toISOString();
  #served = 0;
  #current: AbortController | undefined;
  /** Settles when the command that runs now is done. */
  #running: Promise<void> | undefined;
  #idle: NodeJS.Timeout | undefined;
  #stopping = false;
  /** The socket's inode: on the way out, only this server's socket is removed. */
  #socketIno: number | undefined;
  readonly stopped: Promise<void>;
  #resolveStopped!: () => void;

  private constructor(opts: ServerOptions, path: string) {
    this.#opts = opts;
    this.path = path;
    this.#server = createServer((socket) => this.#accept(socket));
    this.stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  /** Listens on the root's socket; refuses when another server answers there. */
  static async start(opts: ServerOptions): Promise<BuildServer> {
    const path = serverSocketPath({ TSBUILD_ROOT: opts.root });
    if (path.length > MAX_SOCKET_PATH) {
      throw new UserError(`the server's socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter TSBUILD_ROOT`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    chmodSync(dirname(path), 0o700);
    if (existsSync(path)) {
      if (await answers(path)) throw new UserError(`a tsbuild server already serves ${opts.root} (stop it with \`tsbuild server --stop\`)`);
      rmSync(path, { force: true });
    }
    const s = new BuildServer(opts, path);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    s.#socketIno = lstatSync(path).ino;
    s.#armIdle();
    return s;
  }

  status(): ServerStatus {
    return {
      type: 'status',
      pid: process.pid,
      root: this.#opts.root,
      entry: this.#opts.entry,
      since: this.#since,
      served: this.#served,
      busy: !!this.#current,
    };
  }

  /** Stops accepting; a command that runs finishes first (or is aborted with `abort`). */
  stop(abort = false): Promise<void> {
    if (abort) this.#current?.abort();
    if (!this.#stopping) {
      this.#stopping = true;
      clearTimeout(this.#idle);
      this.#server.close();
      void this.#whenIdle().then(() => {
        // A server started since (after this one closed its listener) owns the path now.
        if (lstatSync(this.path, { throwIfNoEntry: false })?.ino === this.#socketIno) rmSync(this.path, { force: true });
        this.#resolveStopped();
      });
    }
    return this.stopped;
  }

  async #whenIdle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #armIdle(): void {
    clearTimeout(this.#idle);
    if (this.#opts.idleTimeoutMs > 0) {
      this.#idle = setTimeout(() => {
        this.#opts.log(`idle for ${Math.round(this.#opts.idleTimeoutMs / 1000)} s: stopping`);
        void this.stop();
      }, this.#opts.idleTimeoutMs);
      this.#idle.unref();
    }
  }

  #accept(socket: Socket): void {
    const reader = new FrameReader();
    // This connection's command, once accepted: only its own client may interrupt it.
    const conn: { run?: RunRequest; abort?: AbortController } = {};
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const { channel, payload } of reader.push(chunk)) {
        if (channel !== CONTROL) continue;
        let msg: Message;
        try {
          msg = JSON.parse(payload.toString('utf8')) as Message;
        } catch {
          socket.destroy();
          return;
        }
        if (msg.type === 'signal') {
          conn.abort?.abort();
        } else if (msg.type === 'status') {
          socket.end(controlFrame(this.status()));
        } else if (msg.type === 'stop') {
          socket.end(controlFrame({ type: 'stopping' }));
          this.#opts.log('asked to stop');
          void this.stop();
        } else if (msg.type === 'run' && !conn.run) {
          conn.run = msg;
          const running = this.#run(msg, socket, conn);
          this.#running = running;
          void running.finally(() => {
            if (this.#running === running) this.#running = undefined;
          });
        }
      }
    });
  }

  async #run(req: RunRequest, socket: Socket, conn: { abort?: AbortController }): Promise<void> {
    if (req.entry !== this.#opts.entry) {
      // The client runs another tsbuild build (updated or edited): this server's code is stale.
      socket.end(controlFrame({ type: 'declined', reason: 'stale' }));
      this.#opts.log(`a client runs ${req.entry}, this server ${this.#opts.entry}: stopping`);
      void this.stop();
      return;
    }
    if (this.#current || this.#stopping) {
      socket.end(controlFrame({ type: 'declined', reason: this.#stopping ? 'stopping' : 'busy' }));
      return;
    }
    const abort = new AbortController();
    this.#current = abort;
    conn.abort = abort;
    clearTimeout(this.#idle);
    // A client that goes away (killed, or its terminal closed) takes its command with it.
    const gone = () => abort.abort();
    socket.once('close', gone);
    const t0 = performance.now();
    let code = 1;
    try {
      socket.write(controlFrame({ type: 'accepted' }));
      code = await runAsClient(req, socket, () => this.#opts.run(req.argv, abort.signal));
    } catch (err) {
      this.#opts.log(`command failed in the server: ${(err as Error).stack ?? String(err)}`);
    } finally {
      socket.off('close', gone);
      this.#served++;
      this.#current = undefined;
      this.#opts.log(`${req.argv.join(' ')} (in ${req.cwd}): exit ${code} in ${Math.round(performance.now() - t0)} ms`);
      if (!socket.destroyed) socket.end(controlFrame({ type: 'exit', code }));
      // Build programs' modules stay loaded (each build imports its own): a server that grew
      // this big makes way, and the next command runs in its own process until one is started.
      const rss = process.memoryUsage.rss();
      if (rss > (this.#opts.maxRssBytes ?? DEFAULT_MAX_RSS)) {
        this.#opts.log(`${Math.round(rss / 1024 ** 2)} MiB resident, above the limit: stopping`);
        void this.stop();
      }
      if (!this.#stopping) this.#armIdle();
    }
  }
}
