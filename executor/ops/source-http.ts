// `http://` and `https://` sources: one downloaded file in an otherwise empty snapshot.
// With `http.checksum` the key comes from the checksum and the download waits for exec; without
// it, the body must be fetched to compute the key (revalidated with ETag, as BuildKit does), so
// an unchanged URL costs a conditional request, not a download.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chown, copyFile, mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { asyncOnce, type Digest } from '../../llb/index.ts';
import type { CacheMap, Op, OpContext, Result } from '../../solver/index.ts';
import type { OpsContext } from './context.ts';
import { opDigest, sha256Hex } from './cache-digest.ts';
import { SourceError } from './errors.ts';
import { writeSnapshot } from './new-snapshot.ts';

export const HTTP_SOURCE_KEY = 'tsbuild.source.http.v1';

interface Download {
  path: string;
  digest: Digest;
  filename: string;
}

interface Meta {
  etag?: string;
  lastModified?: string;
  digest: Digest;
  filename: string;
}

function filenameOf(url: string, disposition: string | null): string {
  const m = disposition ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition) : null;
  const fromHeader = m?.[1] ? posix.basename(decodeURIComponent(m[1])) : '';
  if (fromHeader && fromHeader !== '.' && fromHeader !== '..') return fromHeader;
  const base = posix.basename(new URL(url).pathname);
  return base && base !== '/' ? base : 'index';
}

export class HttpSourceOp implements Op {
  readonly #ctx: OpsContext;
  readonly #url: string;
  readonly #attrs: Record<string, string>;
  readonly #download = asyncOnce(() => this.#get());

  constructor(ctx: OpsContext, identifier: string, attrs: Record<string, string>) {
    this.#ctx = ctx;
    this.#url = identifier;
    this.#attrs = attrs;
  }

  #options() {
    const perm = this.#attrs['http.perm'];
    const mode = perm === undefined ? 0o600 : parseInt(perm, 8);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new SourceError(`${this.#url}: http.perm "${perm}" is not an octal mode`);
    return {
      mode,
      uid: Number(this.#attrs['http.uid'] ?? 0),
      gid: Number(this.#attrs['http.gid'] ?? 0),
      filename: this.#attrs['http.filename'],
      checksum: this.#attrs['http.checksum'] as Digest | undefined,
    };
  }

  async #get(): Promise<Download> {
    const dir = join(this.#ctx.root, 'http', sha256Hex(this.#url).slice(0, 32));
    await mkdir(dir, { recursive: true });
    const metaPath = join(dir, 'meta.json');
    const bodyPath = join(dir, 'body');
    let meta: Meta | undefined;
    try {
      meta = JSON.parse(await readFile(metaPath, 'utf8')) as Meta;
    } catch {
      meta = undefined;
    }
    const { checksum } = this.#options();
    if (meta && checksum && meta.digest === checksum) return { path: bodyPath, digest: meta.digest, filename: meta.filename };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#attrs)) if (k.startsWith('http.header.')) headers[k.slice('http.header.'.length)] = v;
    if (meta?.etag) headers['if-none-match'] = meta.etag;
    let res: Response;
    try {
      res = await fetch(this.#url, { headers, redirect: 'follow' });
    } catch (e) {
      throw new SourceError(`${this.#url}: download failed: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 304 && meta) return { path: bodyPath, digest: meta.digest, filename: meta.filename };
    if (!res.ok || !res.body) throw new SourceError(`${this.#url}: download failed: the server answered ${res.status} ${res.statusText}`);
    const tmp = join(dir, `body.tmp-${process.pid}-${Date.now()}`);
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => hash.update(c));
    try {
      await pipeline(body, createWriteStream(tmp));
    } catch (e) {
      await rm(tmp, { force: true });
      throw new SourceError(`${this.#url}: download failed: ${(e as Error).message}`, { cause: e });
    }
    const digest: Digest = `sha256:${hash.digest('hex')}`;
    if (checksum && digest !== checksum) {
      await rm(tmp, { force: true });
      throw new SourceError(`${this.#url}: checksum mismatch: expected ${checksum}, downloaded content is ${digest}`);
    }
    await rename(tmp, bodyPath);
    const filename = filenameOf(this.#url, res.headers.get('content-disposition'));
    const next: Meta = { digest, filename, ...(res.headers.get('etag') ? { etag: res.headers.get('etag')! } : {}) };
    await writeFile(metaPath, JSON.stringify(next));
    return { path: bodyPath, digest, filename };
  }

  async cacheMap(): Promise<CacheMap> {
    const o = this.#options();
    const content = o.checksum ?? (await this.#download()).digest;
    const filename = o.filename ?? (o.checksum ? filenameOf(this.#url, null) : (await this.#download()).filename);
    return { digest: opDigest(HTTP_SOURCE_KEY, { content, filename, mode: o.mode, uid: o.uid, gid: o.gid }), deps: [] };
  }

  async exec(ctx: OpContext): Promise<Result[]> {
    const o = this.#options();
    const dl = await this.#download();
    const name = o.filename ?? dl.filename;
    const ref = await writeSnapshot(this.#ctx, undefined, ctx.vertex.name, async (dir) => {
      const dest = join(dir, posix.basename(posix.join('/', name)));
      await copyFile(dl.path, dest);
      await chmod(dest, o.mode);
      await chown(dest, o.uid, o.gid).catch((e: NodeJS.ErrnoException) => {
        if (o.uid !== 0 || o.gid !== 0 || e.code !== 'EPERM') throw e;
      });
    });
    return [ref];
  }
}
