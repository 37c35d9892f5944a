// The daemon's Control service (moby.buildkit.v1.Control, api/services/control/control.proto):
// the requests tsbuild sends and the status stream it reads, as plain data.
import type http2 from 'node:http2';
import { Fields, Writer, timestampMs } from './wire.ts';
import { startCall, unary, type Metadata } from './grpc.ts';

const SERVICE = '/moby.buildkit.v1.Control';

export interface SolveRequest {
  readonly ref: string;
  /** pb.Definition, already marshaled; absent when the client acts as the frontend (bridgeSolve). */
  readonly definition?: Uint8Array;
  readonly exporter?: string;
  readonly exporterAttrs?: Readonly<Record<string, string>>;
  readonly session: string;
  readonly frontendAttrs?: Readonly<Record<string, string>>;
  readonly entitlements?: readonly string[];
  /** Build cache to write (`--cache-to`) and to read (`--cache-from`): BuildKit's CacheOptionsEntry. */
  readonly cacheExports?: readonly CacheEntry[];
  readonly cacheImports?: readonly CacheEntry[];
}

export interface CacheEntry {
  readonly type: string;
  readonly attrs: Readonly<Record<string, string>>;
}

function cacheOptions(req: SolveRequest): Writer | undefined {
  if (!req.cacheExports?.length && !req.cacheImports?.length) return undefined;
  const w = new Writer();
  for (const e of req.cacheExports ?? []) w.message(4, new Writer().string(1, e.type).map(2, e.attrs));
  for (const e of req.cacheImports ?? []) w.message(5, new Writer().string(1, e.type).map(2, e.attrs));
  return w;
}

function encodeSolveRequest(req: SolveRequest): Uint8Array {
  // The exporter goes in fields 3 and 4: the only exporter fields BuildKit before v0.13 reads, and
  // still honoured (when `Exporters` is empty) by later versions.
  return new Writer()
    .string(1, req.ref)
    .message(2, req.definition)
    .string(3, req.exporter)
    .map(4, req.exporterAttrs)
    .string(5, req.session)
    .map(7, req.frontendAttrs)
    .message(8, cacheOptions(req))
    .strings(9, req.entitlements)
    .finish();
}

/** Runs the build; resolves with the exporter's response (image digest and name, …). */
export async function solve(session: http2.ClientHttp2Session, req: SolveRequest, signal?: AbortSignal): Promise<Record<string, string>> {
  const reply = await unary(session, `${SERVICE}/Solve`, encodeSolveRequest(req), {}, signal);
  return new Fields(reply).map(1);
}

// ---- status ---------------------------------------------------------------------------------

export interface RemoteVertex {
  readonly digest: string;
  readonly inputs: readonly string[];
  readonly name: string;
  readonly cached: boolean;
  readonly started?: number;
  readonly completed?: number;
  readonly error?: string;
  readonly progressGroup?: { readonly id: string; readonly name: string; readonly weak: boolean };
}

export interface RemoteVertexStatus {
  readonly id: string;
  readonly vertex: string;
  readonly name: string;
  readonly current: number;
  readonly total: number;
  readonly timestamp?: number;
  readonly started?: number;
  readonly completed?: number;
}

export interface RemoteLog {
  readonly vertex: string;
  readonly timestamp?: number;
  readonly stream: number;
  readonly data: Uint8Array;
}

export interface RemoteWarning {
  readonly vertex: string;
  readonly level: number;
  readonly short: string;
  readonly detail: readonly string[];
  readonly url: string;
}

/** One message of the status stream: BuildKit's SolveStatus. */
export interface SolveStatus {
  readonly vertexes: readonly RemoteVertex[];
  readonly statuses: readonly RemoteVertexStatus[];
  readonly logs: readonly RemoteLog[];
  readonly warnings: readonly RemoteWarning[];
}

const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [key]: v } as { [P in K]?: V }));

export function decodeStatus(bytes: Uint8Array): SolveStatus {
  const f = new Fields(bytes);
  return {
    vertexes: f.messages(1).map((v) => {
      const pg = v.message(8);
      return {
        digest: v.string(1),
        inputs: v.strings(2),
        name: v.string(3),
        cached: v.bool(4),
        ...opt('started', timestampMs(v.message(5))),
        ...opt('completed', timestampMs(v.message(6))),
        ...(v.string(7) ? { error: v.string(7) } : {}),
        ...(pg ? { progressGroup: { id: pg.string(1), name: pg.string(2), weak: pg.bool(3) } } : {}),
      };
    }),
    statuses: f.messages(2).map((s) => ({
      id: s.string(1),
      vertex: s.string(2),
      name: s.string(3),
      current: s.int(4),
      total: s.int(5),
      ...opt('timestamp', timestampMs(s.message(6))),
      ...opt('started', timestampMs(s.message(7))),
      ...opt('completed', timestampMs(s.message(8))),
    })),
    logs: f.messages(3).map((l) => ({ vertex: l.string(1), ...opt('timestamp', timestampMs(l.message(2))), stream: l.int(3), data: l.bytes(4) })),
    warnings: f.messages(4).map((w) => ({
      vertex: w.string(1),
      level: w.int(2),
      short: Buffer.from(w.bytes(3)).toString('utf8'),
      detail: w.all(4).map((d) => Buffer.from(d).toString('utf8')),
      url: w.string(5),
    })),
  };
}

/** Streams the build's status until the build ends (the daemon then closes the stream). */
export async function status(session: http2.ClientHttp2Session, ref: string, onStatus: (s: SolveStatus) => void, signal?: AbortSignal): Promise<void> {
  const call = startCall(session, `${SERVICE}/Status`, {}, signal);
  await call.send(new Writer().string(1, ref).finish());
  call.end();
  for await (const m of call.messages) onStatus(decodeStatus(m));
}

/** Control/Session: a byte tunnel whose request metadata announces the session. */
export function sessionTunnel(session: http2.ClientHttp2Session, metadata: Metadata) {
  return startCall(session, `${SERVICE}/Session`, metadata);
}

export function encodeBytesMessage(data: Uint8Array): Uint8Array {
  return new Writer().bytes(1, data).finish();
}

export function decodeBytesMessage(bytes: Uint8Array): Uint8Array {
  return new Fields(bytes).bytes(1);
}

/** The daemon's BuildKit version (Control/Info, BuildKit ≥ 0.11); undefined when it has no Info. */
export async function daemonVersion(session: http2.ClientHttp2Session, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const reply = await unary(session, `${SERVICE}/Info`, new Uint8Array(), {}, signal);
    return new Fields(reply).message(1)?.string(2);
  } catch (e) {
    if ((e as { code?: number }).code === 12) return undefined;
    throw e;
  }
}

// ---- the client-side frontend (LLBBridge) --------------------------------------------------
// A Solve with neither a definition nor a frontend makes the daemon wait for the client to act
// as the frontend through the LLBBridge service, the way buildx runs builds: the client solves
// its definition there and returns the result with its metadata, which carries the image config
// (`containerimage.config`) to the exporter.

const BRIDGE = '/moby.buildkit.v1.frontend.LLBBridge';

/** Gateway calls name the build they belong to in this metadata key. */
function bridgeMetadata(ref: string): Metadata {
  return { 'buildkit-controlapi-buildid': ref };
}

/**
 * LLBBridge/Solve: solves the definition; resolves with the result's ref id. Cache imports go
 * here, not (only) in the Control request: a frontend's solves are what read them.
 */
export async function bridgeSolve(
  session: http2.ClientHttp2Session,
  ref: string,
  definition: Uint8Array,
  cacheImports: readonly CacheEntry[] = [],
  signal?: AbortSignal,
): Promise<string> {
  const request = new Writer().message(1, definition).uint(5, true); // allowResultReturn
  for (const e of cacheImports) request.message(12, new Writer().string(1, e.type).map(2, e.attrs));
  const reply = new Fields(await unary(session, `${BRIDGE}/Solve`, request.finish(), bridgeMetadata(ref), signal));
  const result = reply.message(3);
  return result?.message(3)?.string(1) ?? result?.string(1) ?? reply.string(1);
}

/** LLBBridge/Return: the build's result (a ref and its metadata), or the error it ended with. */
export async function bridgeReturn(
  session: http2.ClientHttp2Session,
  ref: string,
  outcome:
    | { readonly refId: string; readonly metadata: Readonly<Record<string, Uint8Array>> }
    | { readonly error: { readonly code: number; readonly message: string } },
): Promise<void> {
  const request =
    'error' in outcome
      ? new Writer().message(2, new Writer().uint(1, outcome.error.code).string(2, outcome.error.message))
      : new Writer().message(1, new Writer().message(3, new Writer().string(1, outcome.refId)).map(10, outcome.metadata));
  await unary(session, `${BRIDGE}/Return`, request.finish(), bridgeMetadata(ref));
}
