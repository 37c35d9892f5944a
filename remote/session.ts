// The client side of a BuildKit session: a gRPC server that the daemon calls back for what only
// this machine has (local contexts, secrets, registry credentials). The connection is opened by
// us (docker's `/session` upgrade, or a Control/Session byte tunnel) and then carries HTTP/2 with
// the daemon as the client, so a node:http2 server is fed the socket by hand.
import http2 from 'node:http2';
import { randomBytes } from 'node:crypto';
import { Duplex, type Writable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { credentialsFromDockerConfig } from '../oci/index.ts';
import { Code, GrpcError, serveStream, type Handler, type ServerCall } from './grpc.ts';
import { Fields, Writer } from './wire.ts';
import { diffCopy, type LocalDir } from './filesync.ts';
import { receiveDir, receiveTar } from './filereceive.ts';
import { checkAgent, forwardAgent } from './ssh-forward.ts';
import { decodeBytesMessage, encodeBytesMessage, sessionTunnel } from './control.ts';
import { dockerUpgrade } from './connect.ts';
import type { BuilderAddress } from './address.ts';

export type SecretSource = { readonly file: string } | { readonly env: string };

export interface SessionOptions {
  /** Local directories the build may read, by name (`context`, `dockerfile`, `--local` names). */
  readonly locals: Readonly<Record<string, LocalDir>>;
  readonly secrets: Readonly<Record<string, SecretSource>>;
  /** `--ssh`: agent socket by id. */
  readonly ssh?: Readonly<Record<string, string>>;
  /** A stable key for this context, so the daemon can reuse what it already copied from it. */
  readonly sharedKey: string;
  /** Where an export that comes back to this machine goes (`-o type=local|tar`). */
  readonly exportTo?: ExportTarget;
}

export type ExportTarget = { readonly kind: 'dir'; readonly dest: string } | { readonly kind: 'stream'; readonly out: Writable };

async function single(call: ServerCall): Promise<Fields> {
  let msg: Uint8Array | undefined;
  for await (const m of call.messages) msg = m;
  return new Fields(msg ?? new Uint8Array());
}

async function getSecret(call: ServerCall, secrets: SessionOptions['secrets']): Promise<void> {
  const id = (await single(call)).string(1);
  const src = secrets[id];
  if (!src) throw new GrpcError(Code.NOT_FOUND, `secret ${id} not found`);
  let data: Uint8Array;
  if ('file' in src) {
    try {
      data = await readFile(src.file);
    } catch (e) {
      throw new GrpcError(Code.NOT_FOUND, `secret ${id}: cannot read ${src.file}: ${(e as Error).message}`);
    }
  } else {
    const v = process.env[src.env];
    if (v === undefined) throw new GrpcError(Code.NOT_FOUND, `secret ${id}: environment variable ${src.env} is not set`);
    data = Buffer.from(v, 'utf8');
  }
  await call.send(new Writer().bytes(1, data).finish());
}

async function credentials(call: ServerCall): Promise<void> {
  const host = (await single(call)).string(1);
  // Docker Hub is asked for as registry-1.docker.io; the config files it as index.docker.io.
  const creds = await credentialsFromDockerConfig(host === 'registry-1.docker.io' ? 'docker.io' : host);
  await call.send(new Writer().string(1, creds?.username).string(2, creds?.password).finish());
}

async function healthCheck(call: ServerCall): Promise<void> {
  await single(call);
  await call.send(new Writer().uint(1, 1).finish()); // SERVING
}

export class Session {
  readonly id = randomBytes(16).toString('hex');
  readonly #options: SessionOptions;
  readonly #server: http2.Http2Server;
  readonly #handlers: ReadonlyMap<string, Handler>;
  readonly #inFlight = new Set<Promise<void>>();
  #close: (() => void) | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#handlers = new Map<string, Handler>([
      ['/moby.filesync.v1.FileSync/DiffCopy', (call) => diffCopy(call, this.#options.locals)],
      ['/moby.buildkit.secrets.v1.Secrets/GetSecret', (call) => getSecret(call, this.#options.secrets)],
      ['/moby.filesync.v1.Auth/Credentials', credentials],
      ['/grpc.health.v1.Health/Check', healthCheck],
    ]);
    const agents = options.ssh ?? {};
    if (Object.keys(agents).length > 0) {
      (this.#handlers as Map<string, Handler>).set('/moby.sshforward.v1.SSH/CheckAgent', (call) => checkAgent(call, agents));
      (this.#handlers as Map<string, Handler>).set('/moby.sshforward.v1.SSH/ForwardAgent', (call) => forwardAgent(call, agents));
    }
    const to = options.exportTo;
    if (to) {
      (this.#handlers as Map<string, Handler>).set('/moby.filesync.v1.FileSend/DiffCopy', (call) =>
        to.kind === 'dir' ? receiveDir(call, to.dest) : receiveTar(call, to.out),
      );
    }
    this.#server = http2.createServer();
    this.#server.on('stream', (stream, headers) => {
      const served = serveStream(stream, headers, this.#handlers.get(String(headers[':path'])));
      this.#inFlight.add(served);
      void served.then(() => this.#inFlight.delete(served));
    });
    this.#server.on('sessionError', () => {});
  }

  /** The headers that announce the session: its id, name, shared key and the methods it serves. */
  #headers(): Record<string, string | string[]> {
    return {
      'x-docker-expose-session-uuid': this.id,
      'x-docker-expose-session-name': 'tsbuild',
      'x-docker-expose-session-sharedkey': this.#options.sharedKey,
      'x-docker-expose-session-grpc-method': [...this.#handlers.keys()],
    };
  }

  /**
   * Opens the session's connection to the daemon; it serves until close(). With docker it goes
   * through the `/session` upgrade, as buildx does; with buildkitd through a Control/Session tunnel.
   */
  async attach(address: BuilderAddress, control: http2.ClientHttp2Session): Promise<void> {
    let socket: Duplex;
    if (address.kind === 'docker') {
      socket = await dockerUpgrade(address.socket, '/session', this.#headers());
    } else {
      const call = sessionTunnel(control, this.#headers());
      socket = new Duplex({
        write(chunk: Buffer, _enc, cb) {
          call.send(encodeBytesMessage(chunk)).then(() => cb(), cb);
        },
        final(cb) {
          call.end();
          cb();
        },
        read() {},
        destroy(err, cb) {
          call.cancel();
          cb(err);
        },
      });
      void (async () => {
        try {
          for await (const m of call.messages) socket.push(decodeBytesMessage(m));
          socket.push(null);
        } catch (e) {
          socket.destroy(e as Error);
        }
      })();
    }
    socket.on('error', () => {});
    this.#server.emit('connection', socket);
    this.#close = () => socket.destroy();
  }

  /**
   * Waits for the calls being served to finish. The daemon's side of an export can be done (and
   * its Solve answered) while this side is still writing what it received.
   */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  close(): void {
    this.#close?.();
    this.#close = undefined;
  }
}
