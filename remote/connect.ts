// Opening HTTP/2 connections to a BuildKit daemon. buildkitd speaks gRPC on its socket directly;
// a docker daemon hands its API socket over to BuildKit after an HTTP/1.1 upgrade to h2c:
// `POST /grpc` for the Control service (we are the HTTP/2 client), `POST /session` for the
// session (the daemon is the HTTP/2 client and we serve).
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import type { BuilderAddress } from './address.ts';

/** The daemon cannot be reached (no socket, refused, bad certificate, not a BuildKit). */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

function describe(address: BuilderAddress): string {
  switch (address.kind) {
    case 'unix':
      return `BuildKit daemon at ${address.path}`;
    case 'tcp':
      return `BuildKit daemon at ${address.host}:${address.port}`;
    case 'docker':
      return `docker daemon at ${address.socket}`;
  }
}

/** Upgrades a docker API connection to h2c at `path`; resolves with the raw socket. */
export function dockerUpgrade(socketPath: string, path: string, headers: Record<string, string | string[]> = {}): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      path,
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'h2c', ...headers },
    });
    req.on('upgrade', (_res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => reject(new ConnectError(`docker daemon at ${socketPath} refused ${path} (HTTP ${res.statusCode}): ${body.trim()}`)));
    });
    req.on('error', (e) => reject(new ConnectError(`cannot reach the docker daemon at ${socketPath}: ${e.message}`)));
    req.end();
  });
}

async function tlsOptions(address: Extract<BuilderAddress, { kind: 'tcp' }>): Promise<http2.SecureClientSessionOptions> {
  const tls = address.tls!;
  const read = async (what: string, p: string | undefined) => {
    if (p === undefined) return undefined;
    try {
      return await readFile(p);
    } catch (e) {
      throw new ConnectError(`cannot read ${what} ${p}: ${(e as Error).message}`);
    }
  };
  const [ca, cert, key] = await Promise.all([read('--tlscacert', tls.ca), read('--tlscert', tls.cert), read('--tlskey', tls.key)]);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), servername: tls.serverName ?? address.host, ALPNProtocols: ['h2'] };
}

/** An HTTP/2 client session to the daemon's Control service, connected (or a ConnectError). */
export async function connectControl(address: BuilderAddress): Promise<http2.ClientHttp2Session> {
  let session: http2.ClientHttp2Session;
  switch (address.kind) {
    case 'unix':
      session = http2.connect('http://buildkitd', { createConnection: () => net.connect(address.path) });
      break;
    case 'tcp':
      session = address.tls
        ? http2.connect(`https://${address.host}:${address.port}`, await tlsOptions(address))
        : http2.connect(`http://${address.host}:${address.port}`);
      break;
    case 'docker': {
      const socket = await dockerUpgrade(address.socket, '/grpc');
      session = http2.connect('http://docker', { createConnection: () => socket });
      break;
    }
  }
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', (e: Error) => reject(new ConnectError(`cannot reach the ${describe(address)}: ${e.message}`)));
  });
  session.on('error', () => {}); // later failures surface on the calls in flight
  return session;
}
