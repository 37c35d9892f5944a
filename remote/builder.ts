// A BuildKit daemon as the builder: connect, learn what it supports, then run a definition on
// it with a session serving this machine's files and secrets, streaming its status back.
import type http2 from 'node:http2';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { BuilderAddress } from './address.ts';
import { connectControl } from './connect.ts';
import { bridgeReturn, bridgeSolve, daemonVersion, solve, status, type CacheEntry, type SolveStatus } from './control.ts';
import { Code, GrpcError } from './grpc.ts';
import { Session, type SessionOptions } from './session.ts';
import { BUILDKIT_0_8_CAPS } from './capabilities.ts';

/** LLB features a daemon may lack; a build needing one is refused before it is sent. */
export interface Capabilities {
  /** MergeOp (BuildKit ≥ 0.10): COPY --link needs it. */
  readonly merge: boolean;
  /** The LLB capabilities the daemon has, when it is known to be an older one; undefined: all. */
  readonly caps?: ReadonlySet<string>;
  /** What the daemon said it is, for messages. */
  readonly description: string;
}

export interface RemoteSolveOptions {
  /** pb.Definition, marshaled. */
  readonly definition: Uint8Array;
  /** The result's metadata for the exporter: `containerimage.config` (the image config's JSON). */
  readonly resultMetadata?: Readonly<Record<string, Uint8Array>>;
  readonly exporter?: { readonly type: string; readonly attrs: Readonly<Record<string, string>> };
  readonly frontendAttrs?: Readonly<Record<string, string>>;
  readonly entitlements?: readonly string[];
  readonly cacheExports?: readonly CacheEntry[];
  readonly cacheImports?: readonly CacheEntry[];
  readonly session: SessionOptions;
  onStatus(status: SolveStatus): void;
  readonly signal?: AbortSignal;
}

/** The build failed on the daemon, or the daemon refused it, or the connection was lost. */
export class RemoteBuildError extends Error {
  override name = 'RemoteBuildError';
  /** `connection`: the daemon could not be reached or went away; `daemon`: its own error. */
  readonly reason: 'connection' | 'canceled' | 'daemon';
  constructor(message: string, reason: 'connection' | 'canceled' | 'daemon') {
    super(message);
    this.reason = reason;
  }
}

function dockerVersion(socketPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/version' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { Version?: string }).Version);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
  });
}

export class RemoteBuilder {
  readonly #address: BuilderAddress;
  readonly #control: http2.ClientHttp2Session;
  readonly capabilities: Capabilities;
  #lost: string | undefined;

  private constructor(address: BuilderAddress, control: http2.ClientHttp2Session, capabilities: Capabilities) {
    this.#address = address;
    this.#control = control;
    this.capabilities = capabilities;
    control.on('close', () => (this.#lost ??= 'the connection was closed'));
    control.on('goaway', () => (this.#lost ??= 'the daemon closed the connection'));
    control.on('error', (e: Error) => (this.#lost ??= e.message));
  }

  static async connect(address: BuilderAddress): Promise<RemoteBuilder> {
    const control = await connectControl(address);
    try {
      // Control/Info came with BuildKit 0.11: a daemon without it is taken to have only what 0.8
      // (the BuildKit in docker 20.10) has, no MergeOp or DiffOp among it.
      const version = await daemonVersion(control);
      const docker = address.kind === 'docker' ? await dockerVersion(address.socket) : undefined;
      const description = [docker ? `docker ${docker}` : undefined, version ? `BuildKit ${version}` : 'BuildKit before v0.11'].filter(Boolean).join(', ');
      const modern = version !== undefined;
      return new RemoteBuilder(address, control, { merge: modern, ...(modern ? {} : { caps: BUILDKIT_0_8_CAPS }), description });
    } catch (e) {
      control.close();
      throw e;
    }
  }

  /** Runs the build; resolves with the exporter's response, or throws a RemoteBuildError. */
  async solve(options: RemoteSolveOptions): Promise<Record<string, string>> {
    const session = new Session(options.session);
    const ref = randomBytes(16).toString('hex');
    try {
      try {
        await session.attach(this.#address, this.#control);
      } catch (e) {
        throw new RemoteBuildError(`cannot open a session with the BuildKit daemon (${this.#address.text}): ${(e as Error).message}`, 'connection');
      }
      const watching = status(this.#control, ref, (s) => options.onStatus(s), options.signal).catch((e: unknown) => e);
      let response: Record<string, string>;
      try {
        // The build waits for this side to solve the definition and return the result over
        // LLBBridge (see control.ts), so that the result carries its image config.
        const building = solve(
          this.#control,
          {
            ref,
            session: session.id,
            ...(options.exporter ? { exporter: options.exporter.type, exporterAttrs: options.exporter.attrs } : {}),
            ...(options.frontendAttrs ? { frontendAttrs: options.frontendAttrs } : {}),
            ...(options.entitlements ? { entitlements: options.entitlements } : {}),
            ...(options.cacheExports ? { cacheExports: options.cacheExports } : {}),
            ...(options.cacheImports ? { cacheImports: options.cacheImports } : {}),
          },
          options.signal,
        );
        building.catch(() => {});
        await this.#frontend(ref, options);
        response = await building;
        await session.idle();
      } catch (e) {
        // Let the last status messages (the failed step's logs and error) arrive first.
        await Promise.race([watching, new Promise((r) => setTimeout(r, 2000).unref())]);
        if (options.signal?.aborted) throw new RemoteBuildError('the build was canceled', 'canceled');
        throw this.#failure(e);
      }
      await watching;
      return response;
    } finally {
      session.close();
    }
  }

  /** Solves the definition through LLBBridge and returns its result, or the error it failed with. */
  async #frontend(ref: string, options: RemoteSolveOptions): Promise<void> {
    let refId: string;
    try {
      refId = await bridgeSolve(this.#control, ref, options.definition, options.cacheImports, options.signal);
    } catch (e) {
      if (e instanceof GrpcError && e.code !== Code.UNAVAILABLE) {
        await bridgeReturn(this.#control, ref, { error: { code: e.code, message: e.details } }).catch(() => {});
        return; // the build's Solve now fails with this error
      }
      throw e;
    }
    await bridgeReturn(this.#control, ref, { refId, metadata: options.resultMetadata ?? {} });
  }

  #failure(e: unknown): RemoteBuildError {
    const where = this.#address.text;
    if (e instanceof GrpcError && e.code === Code.UNAVAILABLE) {
      return new RemoteBuildError(`lost the connection to the BuildKit daemon (${where}) during the build: ${this.#lost ?? e.details}`, 'connection');
    }
    if (e instanceof GrpcError) return new RemoteBuildError(e.details, 'daemon');
    return new RemoteBuildError((e as Error).message, 'daemon');
  }

  close(): void {
    this.#control.close();
  }
}
