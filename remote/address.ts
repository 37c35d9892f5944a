// `--builder ADDR` (or BUILDKIT_HOST): where the BuildKit daemon listens, as buildctl and buildx
// spell it.

export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Server name checked against the daemon's certificate (default: the address's host). */
  readonly serverName?: string;
}

export type BuilderAddress =
  /** buildkitd's own gRPC socket. */
  | { readonly kind: 'unix'; readonly path: string; readonly text: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls?: TlsFiles; readonly text: string }
  /** The BuildKit inside a docker daemon, reached through the docker API socket's /grpc and /session upgrades. */
  | { readonly kind: 'docker'; readonly socket: string; readonly text: string };

export class AddressError extends Error {
  override name = 'AddressError';
}

const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

function dockerSocketFromEnv(env: NodeJS.ProcessEnv): string {
  const host = env['DOCKER_HOST'];
  if (!host) return DEFAULT_DOCKER_SOCKET;
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new AddressError(`--builder docker: DOCKER_HOST=${host} is not a unix socket; give --builder docker://unix:///path/to/docker.sock`);
}

export function parseBuilderAddress(text: string, tls: TlsFiles = {}, env: NodeJS.ProcessEnv = process.env): BuilderAddress {
  const hasTls = tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined;
  if (text === 'docker' || text === 'docker://') return { kind: 'docker', socket: dockerSocketFromEnv(env), text };
  if (text.startsWith('docker://')) {
    const rest = text.slice('docker://'.length);
    if (!rest.startsWith('unix://')) throw new AddressError(`--builder ${text}: give the docker API socket as docker://unix:///path/to/docker.sock`);
    return { kind: 'docker', socket: rest.slice('unix://'.length), text };
  }
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/')) throw new AddressError(`--builder ${text}: the socket path must be absolute (unix:///run/buildkit/buildkitd.sock)`);
    if (hasTls) throw new AddressError(`--builder ${text}: --tlscacert, --tlscert and --tlskey apply to tcp:// addresses only`);
    return { kind: 'unix', path, text };
  }
  if (text.startsWith('tcp://')) {
    const url = new URL(text);
    const port = Number(url.port);
    if (!url.hostname || !Number.isInteger(port) || port <= 0) throw new AddressError(`--builder ${text}: expected tcp://HOST:PORT`);
    if ((tls.cert === undefined) !== (tls.key === undefined)) throw new AddressError(`--builder ${text}: --tlscert and --tlskey go together`);
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port, ...(hasTls ? { tls } : {}), text };
  }
  throw new AddressError(`--builder ${text}: unknown address; use unix:///path.sock, tcp://host:port, docker, or docker://unix:///path.sock`);
}
