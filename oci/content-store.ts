// Blobs by digest under `<root>/content/blobs/sha256/<hex>`.
//
// Every write goes through `<root>/content/ingest/<random>`: the bytes are streamed there while
// being hashed, checked against the expected digest and size, fsynced, then renamed into place.
// A blob path therefore only ever names complete, verified content; a blob that fails verification
// is deleted from ingest/ and never becomes visible. Two writers of the same blob (in this process
// or another) each use their own temp file and the rename is atomic, so whichever lands last
// replaces identical bytes with identical bytes.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AsyncMemo, asyncOnce, type Digest } from '../llb/index.ts';
import { FlushBehind } from './flush-behind.ts';
import { digestHex, hashDigest, isDigest, sha256 } from './digest.ts';
import { BlobNotFoundError, DigestMismatchError } from './errors.ts';
import type { Descriptor } from './types.ts';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface IngestExpect {
  digest?: Digest;
  size?: number;
  /** Named in errors ("layer sha256:… of docker.io/library/alpine:latest"). */
  what?: string;
  /** Called with the running byte count while streaming. */
  onProgress?: (bytes: number) => void;
}

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Stops an ingest past its expected size; the size check that follows reports it. */
class BlobTooLarge extends Error {}

export class ContentStore {
  readonly root: string;
  readonly #blobs: string;
  readonly #ingest: string;
  readonly #links: string;
  // Only the ingest in flight is shared: once written, the blob on disk is the answer.
  readonly #inflight = new AsyncMemo<Digest, BlobInfo>({ keep: () => false });
  readonly #init = asyncOnce(async () => {
    await mkdir(this.#blobs, { recursive: true });
    await mkdir(this.#ingest, { recursive: true });
    await mkdir(this.#links, { recursive: true });
  });

  /** `root` is `$TSBUILD_ROOT/content`. */
  constructor(root: string) {
    this.root = root;
    this.#blobs = join(root, 'blobs', 'sha256');
    this.#ingest = join(root, 'ingest');
    this.#links = join(root, 'links');
  }

  blobPath(digest: Digest): string {
    return join(this.#blobs, digestHex(digest));
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.blobPath(digest));
      return { digest, size: s.size };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(digest);
      throw err;
    }
  }

  async readJson<T>(digest: Digest): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }

  /** A stream of the blob; fails with BlobNotFoundError when it is absent. */
  async open(digest: Digest): Promise<Readable> {
    const path = this.blobPath(digest);
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw isNotFound(err) ? new BlobNotFoundError(digest) : err;
    });
    return fh.createReadStream();
  }

  /** Streams `source` into the store. With an expected digest the blob is verified before it is visible. */
  async ingest(source: BlobSource, expect: IngestExpect = {}): Promise<BlobInfo> {
    await this.#init();
    if (expect.digest !== undefined) {
      const existing = await this.info(expect.digest);
      if (existing && (expect.size === undefined || existing.size === expect.size)) {
        drain(source);
        return existing;
      }
    }
    const tmp = this.#tempPath();
    const hash = createHash('sha256');
    let size = 0;
    let flush: FlushBehind | undefined;
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      out.once('open', () => (flush = new FlushBehind(tmp)));
      const input = source instanceof Readable ? source : Readable.from(source);
      // A transform, not an async iterator: iterating a stream joins whatever it has buffered
      // into one new buffer, a copy of every byte of a layer for nothing.
      const counted = new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          size += chunk.byteLength;
          expect.onProgress?.(size);
          if (expect.size !== undefined && size > expect.size) return cb(new BlobTooLarge());
          // Counted before the stream has written it: a sync then covers a little less than
          // counted, and the final fsync the rest.
          flush?.wrote(chunk.byteLength);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(input, counted, out);
      } catch (err) {
        if (!(err instanceof BlobTooLarge)) throw err;
      }
      const actual = { digest: hashDigest(hash), size };
      if ((expect.digest !== undefined && actual.digest !== expect.digest) || (expect.size !== undefined && actual.size !== expect.size)) {
        throw new DigestMismatchError(expect.what ?? `blob ${expect.digest ?? ''}`.trim(), expect, actual);
      }
      await flush?.done();
      await fsyncPath(tmp);
      await this.#publish(tmp, actual.digest);
      return actual;
    } catch (err) {
      await flush?.done().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Streams `chunks` into the store, each hashed and written before the next is asked for: the
   * producer may hand the same buffer again (see the layer writer's reuseBuffers). Blocks the
   * thread while it writes.
   */
  async ingestChunks(chunks: AsyncIterable<Uint8Array>): Promise<BlobInfo> {
    await this.#init();
    const tmp = this.#tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const fd = openSync(tmp, 'wx');
    const flush = new FlushBehind(tmp);
    try {
      try {
        for await (const chunk of chunks) {
          hash.update(chunk);
          for (let at = 0; at < chunk.byteLength;) at += writeSync(fd, chunk, at);
          size += chunk.byteLength;
          if (flush.wrote(chunk.byteLength)) await turn();
        }
        await flush.done();
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        // Already done on success; after a failure, its own error is not the one to report.
        await flush.done().catch(() => {});
      }
      const digest = hashDigest(hash);
      await this.#publish(tmp, digest);
      return { digest, size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** A new temp file name under ingest/, named by its creation time (see cleanIngest). */
  #tempPath(suffix = ''): string {
    return join(this.#ingest, `${Date.now()}-${randomBytes(8).toString('hex')}${suffix}`);
  }

  /** Makes a written, fsynced temp file the blob `digest`, durably. */
  async #publish(tmp: string, digest: Digest): Promise<void> {
    await rename(tmp, this.blobPath(digest));
    await fsyncPath(this.#blobs);
  }

  /**
   * Ingests a blob of known digest once per process even when many callers ask at the same time;
   * `produce` is only called when the blob is missing.
   */
  async ensure(digest: Digest, produce: () => Promise<BlobSource> | BlobSource, expect: Omit<IngestExpect, 'digest'> = {}): Promise<BlobInfo> {
    const existing = await this.info(digest);
    if (existing) return existing;
    return this.#inflight.get(digest, async () => this.ingest(await produce(), { ...expect, digest }));
  }

  /** Small blobs (manifests, configs) written from memory. */
  async write(data: Uint8Array | string, expectDigest?: Digest): Promise<BlobInfo> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = sha256(bytes);
    if (expectDigest !== undefined && expectDigest !== digest) {
      throw new DigestMismatchError(`blob ${expectDigest}`, { digest: expectDigest, size: bytes.byteLength }, { digest, size: bytes.byteLength });
    }
    return this.ingest([bytes], { digest, size: bytes.byteLength });
  }

  async writeJson(value: unknown): Promise<BlobInfo & { bytes: Buffer }> {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    const info = await this.write(bytes);
    return { ...info, bytes };
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  async list(): Promise<Digest[]> {
    await this.#init();
    return (await readdir(this.#blobs)).map((hex) => `sha256:${hex}`).filter(isDigest);
  }

  /** Removes temp files left by writers that died mid-ingest (older than `olderThanMs`). */
  async cleanIngest(olderThanMs = 24 * 3600_000): Promise<void> {
    await this.#init();
    for (const name of await readdir(this.#ingest)) {
      const created = Number(name.split('-')[0]);
      if (Number.isFinite(created) && Date.now() - created > olderThanMs) await rm(join(this.#ingest, name), { force: true });
    }
  }

  /**
   * Small named records kept beside the blobs (`links/<kind>/<key>`), e.g. which compressed blob
   * was made from which uncompressed layer. Written atomically; a reader sees old or new, never half.
   */
  async getLink<T>(kind: string, key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#links, safeName(kind), safeName(key)), 'utf8')) as T;
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  async setLink(kind: string, key: string, value: unknown): Promise<void> {
    await this.#init();
    const dir = join(this.#links, safeName(kind));
    await mkdir(dir, { recursive: true });
    const tmp = this.#tempPath('.link');
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, join(dir, safeName(key)));
  }

  /** Every link record as `{ kind, key }` (names decoded), for inspection and garbage collection. */
  async listLinks(): Promise<{ kind: string; key: string }[]> {
    await this.#init();
    const out: { kind: string; key: string }[] = [];
    for (const kind of await readdir(this.#links)) {
      const keys = await readdir(join(this.#links, kind)).catch(() => [] as string[]);
      for (const key of keys) out.push({ kind: decodeName(kind), key: decodeName(key) });
    }
    return out;
  }

  async deleteLink(kind: string, key: string): Promise<void> {
    await rm(join(this.#links, safeName(kind), safeName(key)), { force: true });
  }

  /** The descriptor of a stored blob with the given media type. */
  async descriptor(digest: Digest, mediaType: string): Promise<Descriptor> {
    const info = await this.info(digest);
    if (!info) throw new BlobNotFoundError(digest);
    return { mediaType, digest, size: info.size };
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function decodeName(s: string): string {
  return s.replace(/%([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One turn of the event loop, for callbacks a synchronous writer would otherwise hold up. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function drain(source: BlobSource): void {
  const s = source as Partial<Readable>;
  if (typeof s.destroy === 'function') s.destroy();
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
