// gRPC over node:http2, both ways: the Control client calls the daemon, and the daemon calls the
// session's services back over a tunnelled connection. A message is framed as one byte
// (compressed: always 0 here, no compression is offered), a 4-byte big-endian length, and the
// protobuf bytes; a call ends with `grpc-status` (and `grpc-message`) in the trailers.
import http2 from 'node:http2';
import { MessageQueue } from './message-queue.ts';

/** gRPC status codes used here. */
export const Code = { OK: 0, CANCELLED: 1, UNKNOWN: 2, NOT_FOUND: 5, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const;

export class GrpcError extends Error {
  override name = 'GrpcError';
  readonly code: number;
  readonly details: string;
  constructor(code: number, details: string) {
    super(details || `gRPC status ${code}`);
    this.code = code;
    this.details = details;
  }
}

export function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** Splits a byte stream into gRPC messages. */
export class Deframer {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Uint8Array[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Uint8Array[] = [];
    while (this.#buf.length >= 5) {
      if (this.#buf[0] !== 0) throw new GrpcError(Code.INTERNAL, 'compressed gRPC message received, but no compression was negotiated');
      const len = this.#buf.readUInt32BE(1);
      if (this.#buf.length < 5 + len) break;
      out.push(this.#buf.subarray(5, 5 + len));
      this.#buf = this.#buf.subarray(5 + len);
    }
    return out;
  }
}

function statusOf(headers: http2.IncomingHttpHeaders): GrpcError | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(raw);
  if (code === Code.OK) return undefined;
  const message = headers['grpc-message'];
  let details = typeof message === 'string' ? message : '';
  try {
    details = decodeURIComponent(details);
  } catch {
    // not percent-encoded after all: keep it as sent
  }
  return new GrpcError(code, details);
}

export type Metadata = Readonly<Record<string, string | readonly string[]>>;

/** One call's streams: what the caller writes, and what comes back. */
export interface Call {
  send(message: Uint8Array): Promise<void>;
  /** Half-closes the request side. */
  end(): void;
  readonly messages: AsyncIterable<Uint8Array>;
  cancel(): void;
}

/**
 * Starts a call of any shape on an HTTP/2 client session. The response messages iterate until the
 * trailers; a non-OK status is thrown from the iterator (a lost connection as UNAVAILABLE).
 */
export function startCall(session: http2.ClientHttp2Session, path: string, metadata: Metadata = {}, signal?: AbortSignal): Call {
  const stream = session.request(
    { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...(metadata as Record<string, string | string[]>) },
    signal ? { signal } : {},
  );
  const queue = new MessageQueue<Uint8Array>();
  let failure: Error | undefined;
  const deframer = new Deframer();
  const fail = (e: Error) => {
    failure ??= e;
    queue.end(failure);
  };
  let ended = false; // a grpc-status arrived: the call ended as the daemon meant it to
  stream.on('response', (headers) => {
    if (headers['grpc-status'] !== undefined) ended = true;
    const status = statusOf(headers); // a trailers-only response
    if (status) fail(status);
    else if (headers[':status'] !== 200) fail(new GrpcError(Code.UNKNOWN, `the daemon answered HTTP ${headers[':status']} to ${path}`));
  });
  stream.on('trailers', (headers: http2.IncomingHttpHeaders) => {
    if (headers['grpc-status'] !== undefined) ended = true;
    const status = statusOf(headers);
    if (status) fail(status);
  });
  stream.on('data', (chunk: Buffer) => {
    try {
      queue.push(...deframer.push(chunk));
    } catch (e) {
      fail(e as Error);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  });
  stream.on('error', (e: Error) => fail(new GrpcError(Code.UNAVAILABLE, e.message)));
  stream.on('close', () => {
    if (!queue.ended && !ended) {
      const reset = stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR ? ` (HTTP/2 stream reset, code ${stream.rstCode})` : '';
      fail(new GrpcError(Code.UNAVAILABLE, `the connection to the daemon was lost${reset}`));
    }
    queue.end();
  });
  return {
    send: (message) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed || stream.writableEnded) return reject(failure ?? new GrpcError(Code.UNAVAILABLE, 'the call has ended'));
        stream.write(frame(message), (err) => (err ? reject(err) : resolve()));
      }),
    end: () => {
      if (!stream.destroyed && !stream.writableEnded) stream.end();
    },
    messages: queue,
    cancel: () => {
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    },
  };
}

export async function unary(
  session: http2.ClientHttp2Session,
  path: string,
  request: Uint8Array,
  metadata?: Metadata,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const call = startCall(session, path, metadata, signal);
  await call.send(request);
  call.end();
  let reply: Uint8Array | undefined;
  for await (const m of call.messages) reply = m;
  if (!reply) throw new GrpcError(Code.INTERNAL, `${path}: no response message`);
  return reply;
}

// ---- serving ------------------------------------------------------------------------------

/** What a served call sees: its request metadata, incoming messages, and a way to answer. */
export interface ServerCall {
  readonly path: string;
  readonly metadata: http2.IncomingHttpHeaders;
  readonly messages: AsyncIterable<Uint8Array>;
  send(message: Uint8Array): Promise<void>;
}

export type Handler = (call: ServerCall) => Promise<void>;

/**
 * Answers one incoming HTTP/2 stream with `handler`; its error becomes the call's status. Resolves
 * when the handler is done (never rejects).
 */
export function serveStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, handler: Handler | undefined): Promise<void> {
  const path = String(headers[':path']);
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  let status: { code: number; message: string } = { code: Code.OK, message: '' };
  stream.on('wantTrailers', () => {
    stream.sendTrailers({ 'grpc-status': String(status.code), ...(status.message ? { 'grpc-message': encodeURIComponent(status.message) } : {}) });
  });
  stream.on('error', () => {}); // the daemon went away; the build's own call reports it
  const deframer = new Deframer();
  const queue = new MessageQueue<Uint8Array>();
  stream.on('data', (chunk: Buffer) => {
    try {
      queue.push(...deframer.push(chunk));
    } catch (e) {
      queue.end(e as Error);
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    }
  });
  stream.on('end', () => queue.end());
  stream.on('close', () => queue.end());
  const call: ServerCall = {
    path,
    metadata: headers,
    messages: queue,
    send: (message) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed) return reject(new GrpcError(Code.CANCELLED, 'the daemon closed the call'));
        if (stream.write(frame(message))) return resolve();
        const onClose = () => reject(new GrpcError(Code.CANCELLED, 'the daemon closed the call'));
        stream.once('close', onClose);
        stream.once('drain', () => {
          stream.off('close', onClose);
          resolve();
        });
      }),
  };
  const run = handler ? handler(call) : Promise.reject(new GrpcError(Code.UNIMPLEMENTED, `unknown method ${path}`));
  return run.then(
    () => {
      if (!stream.destroyed) stream.end();
    },
    (err: unknown) => {
      status = err instanceof GrpcError ? { code: err.code, message: err.details } : { code: Code.UNKNOWN, message: (err as Error).message };
      if (!stream.destroyed) stream.end();
    },
  );
}
