// An HTTP proxy in front of the test registry that can demand auth or corrupt blobs, to check how
// the client behaves against registries that are strict or broken.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ProxyOptions {
  /** Rewrites a blob body before it is served (for digest-mismatch tests). */
  corruptBlob?: (path: string, body: Buffer) => Buffer;
  /** 'bearer': token flow at /token; 'basic': Basic challenge. Credentials checked against user:pass. */
  auth?: { scheme: 'bearer' | 'basic'; user: string; pass: string };
}

export interface Proxy {
  host: string;
  url: string;
  /** Requests seen, as "METHOD path". */
  log: string[];
  tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export async function startProxy(upstream: string, opts: ProxyOptions = {}): Promise<Proxy> {
  const log: string[] = [];
  const tokenRequests: URLSearchParams[] = [];
  let self = '';
  const basic = opts.auth ? `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}` : '';
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', self);
    log.push(`${req.method} ${url.pathname}`);
    if (opts.auth?.scheme === 'bearer' && url.pathname === '/token') {
      tokenRequests.push(url.searchParams);
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'good-token' }));
      return;
    }
    if (opts.auth) {
      const ok = opts.auth.scheme === 'bearer' ? req.headers.authorization === 'Bearer good-token' : req.headers.authorization === basic;
      if (!ok) {
        const challenge =
          opts.auth.scheme === 'bearer' ? `Bearer realm="${self}/token",service="test-registry",scope="repository:ignored:pull"` : 'Basic realm="test"';
        res
          .writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
    }
    const reqBody = await body(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'authorization', 'connection', 'content-length'].includes(k)) headers[k] = v;
    const up = await fetch(upstream + url.pathname + url.search, {
      method: req.method ?? 'GET',
      headers,
      ...(reqBody.length > 0 || req.method === 'PUT' || req.method === 'PATCH' ? { body: reqBody } : {}),
      redirect: 'manual',
    });
    let out: Buffer = Buffer.from(await up.arrayBuffer());
    if (opts.corruptBlob && req.method === 'GET' && url.pathname.includes('/blobs/sha256:')) out = opts.corruptBlob(url.pathname, out);
    const outHeaders: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k)) return;
      outHeaders[k] = k === 'location' ? v.replace(upstream, self) : v;
    });
    if (req.method !== 'HEAD') outHeaders['content-length'] = String(out.length);
    else if (up.headers.get('content-length')) outHeaders['content-length'] = up.headers.get('content-length')!;
    res.writeHead(up.status, outHeaders);
    res.end(req.method === 'HEAD' ? undefined : out);
  };
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      res.writeHead(502).end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  self = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: self,
    log,
    tokenRequests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
