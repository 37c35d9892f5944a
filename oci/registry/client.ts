// A client for the OCI distribution API (`/v2/…`) over fetch.
//
// Auth: a request goes out with whatever token is cached for its host and scope; on 401 the
// registry's `WWW-Authenticate` decides: `Bearer` → a token from the realm (anonymous, or with basic
// credentials from the Docker config), `Basic` → the credentials themselves; then the request is
// retried once. Loopback registries are reached over plain HTTP, as Docker does; other hosts over
// HTTPS unless marked insecure.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Digest } from '../../llb/index.ts';
import { RegistryError } from '../errors.ts';
import { DEFAULT_DOMAIN, type ImageReference } from '../reference.ts';
import { parseChallenge } from './challenge.ts';
import { credentialsFromDockerConfig, type Credentials } from './docker-config.ts';

export interface RegistryClientOptions {
  /** Hosts (or a predicate) reached over plain HTTP although not loopback (`registry.insecure=true`). */
  insecure?: boolean | readonly string[] | ((host: string) => boolean);
  /** Where credentials come from; default: the Docker client config. */
  credentials?: (host: string) => Promise<Credentials | undefined>;
  fetch?: typeof fetch;
  userAgent?: string;
}

export type Access = 'pull' | 'pull,push';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Extra repositories the token must cover (cross-repository mounts read from them). */
  extraPullScopes?: readonly string[];
  /** For error messages: "pull manifest", "upload blob". */
  action: string;
  blob?: Digest;
  /** Statuses that are answers rather than failures (e.g. 404 for a HEAD existence check). */
  accept?: readonly number[];
  redirect?: 'follow' | 'manual' | 'error';
}

/** Docker Hub's API lives on another host than its name. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}

/** localhost, 127.0.0.0/8 and ::1: plain HTTP without asking, as Docker does. */
export function isLoopbackHost(host: string): boolean {
  let h = host;
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']'));
  else if (h.includes(':')) h = h.slice(0, h.lastIndexOf(':'));
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export class RegistryClient {
  readonly #opts: RegistryClientOptions;
  readonly #fetch: typeof fetch;
  readonly #tokens = new Map<string, string>();
  readonly #basic = new Map<string, string>();

  constructor(opts: RegistryClientOptions = {}) {
    this.#opts = opts;
    this.#fetch = opts.fetch ?? globalThis.fetch;
  }

  isPlainHttp(domain: string): boolean {
    if (isLoopbackHost(domain)) return true;
    const i = this.#opts.insecure;
    if (typeof i === 'boolean') return i;
    if (typeof i === 'function') return i(domain);
    return i?.includes(domain) ?? false;
  }

  baseUrl(domain: string): string {
    return `${this.isPlainHttp(domain) ? 'http' : 'https'}://${registryHost(domain)}`;
  }

  /** `path` is under /v2/<repo>/ (e.g. `manifests/latest`) or an absolute URL (upload locations). */
  url(ref: ImageReference, path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    if (path.startsWith('/')) return this.baseUrl(ref.domain) + path;
    return `${this.baseUrl(ref.domain)}/v2/${ref.path}/${path}`;
  }

  async request(ref: ImageReference, access: Access, path: string, opts: RequestOptions): Promise<Response> {
    const url = this.url(ref, path);
    const scopes = [`repository:${ref.path}:${access}`, ...(opts.extraPullScopes ?? []).map((r) => `repository:${r}:pull`)];
    const authKey = `${ref.domain} ${scopes.join(' ')}`;
    const send = async (): Promise<Response> => {
      const headers: Record<string, string> = { 'user-agent': this.#opts.userAgent ?? 'tsbuild', ...opts.headers };
      const token = this.#tokens.get(authKey);
      const basic = this.#basic.get(ref.domain);
      if (token) headers['authorization'] = `Bearer ${token}`;
      else if (basic) headers['authorization'] = `Basic ${basic}`;
      try {
        return await this.#fetch(url, {
          method: opts.method ?? 'GET',
          headers,
          ...(opts.body !== undefined ? { body: opts.body } : {}),
          redirect: opts.redirect ?? 'follow',
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new RegistryError({
          reference: ref.string,
          action: opts.action,
          ...(opts.blob ? { blob: opts.blob } : {}),
          registryMessage: `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
          cause: err,
        });
      }
    };
    let res = await send();
    if (res.status === 401) {
      const authed = await this.#authenticate(ref, res, scopes, authKey, opts);
      await res.body?.cancel();
      if (authed) res = await send();
    }
    if (res.ok || opts.accept?.includes(res.status)) return res;
    throw await this.errorFrom(ref, res, opts.action, opts.blob);
  }

  /** Builds a RegistryError carrying the registry's own error codes and messages. */
  async errorFrom(ref: ImageReference, res: Response, action: string, blob?: Digest): Promise<RegistryError> {
    let message = res.statusText;
    try {
      const text = await res.text();
      try {
        const doc = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
        if (Array.isArray(doc.errors) && doc.errors.length > 0) message = doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
        else if (text) message = text.slice(0, 300);
      } catch {
        if (text) message = text.slice(0, 300);
      }
    } catch {
      // the body is not needed to report the status
    }
    if (res.status === 401 || res.status === 403) message += ` (check credentials for ${ref.domain} in ~/.docker/config.json)`;
    return new RegistryError({ reference: ref.string, action, status: res.status, ...(blob ? { blob } : {}), registryMessage: message });
  }

  async #authenticate(ref: ImageReference, res: Response, scopes: string[], authKey: string, opts: RequestOptions): Promise<boolean> {
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (!challenge) return false;
    const creds = await (this.#opts.credentials ?? ((h: string) => credentialsFromDockerConfig(h)))(ref.domain);
    if (challenge.scheme === 'basic') {
      if (!creds) return false;
      this.#basic.set(ref.domain, Buffer.from(`${creds.username}:${creds.password}`).toString('base64'));
      return true;
    }
    if (challenge.scheme !== 'bearer') return false;
    const realm = challenge.params['realm'];
    if (!realm) return false;
    const tokenUrl = new URL(realm);
    if (challenge.params['service']) tokenUrl.searchParams.set('service', challenge.params['service']);
    for (const s of scopes) tokenUrl.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.#opts.userAgent ?? 'tsbuild' };
    if (creds) headers['authorization'] = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    let tr: Response;
    try {
      tr = await this.#fetch(tokenUrl, { headers });
    } catch (err) {
      throw new RegistryError({
        reference: ref.string,
        action: `${opts.action} (token from ${tokenUrl.origin})`,
        registryMessage: (err as Error).message,
        cause: err,
      });
    }
    if (!tr.ok) throw await this.errorFrom(ref, tr, `${opts.action}: get token from ${tokenUrl.origin}${tokenUrl.pathname} for`, opts.blob);
    const doc = (await tr.json()) as { token?: string; access_token?: string };
    const token = doc.token ?? doc.access_token;
    if (!token)
      throw new RegistryError({ reference: ref.string, action: `${opts.action}: token from ${tokenUrl.origin}`, registryMessage: 'answer has no token' });
    this.#tokens.set(authKey, token);
    return true;
  }
}

/** A fetch Response body as a Node stream. */
export function responseStream(res: Response): Readable {
  if (!res.body) return Readable.from([]);
  return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
}
