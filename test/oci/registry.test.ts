import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import {
  closeGzipPool,
  exportArchive,
  exportToImageStore,
  MediaType,
  parseOutputSpec,
  parseReference,
  pullImage,
  pushImage,
  RegistryClient,
  RegistryError,
  resolveRemoteImage,
  sha256,
  writeImage,
  type ArchiveOutput,
  type ImageOutput,
  type PullProgress,
  type WrittenImage,
} from '../../oci/index.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { amd64, layerOf, makeTar, tempRoot, type TempRoot } from './helpers.ts';
import { startProxy } from './registry-proxy.ts';

const run = requirePrereqs({ commands: ['docker-registry', 'skopeo'] });

let registry: TestRegistry;
let root: TempRoot;
const client = new RegistryClient({ credentials: async () => undefined });
let tars: Buffer[];

beforeAll(async () => {
  if (!run) return;
  registry = await startRegistry();
  tars = [
    await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/base', content: 'base layer\n' },
    ]),
    await makeTar([
      { name: 'app/', type: 'directory' },
      { name: 'app/big', content: 'data '.repeat(40_000) },
    ]),
  ];
});
afterAll(async () => {
  await registry?.stop();
  await closeGzipPool();
});
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());

async function build(r: TempRoot, env = 'A=1'): Promise<WrittenImage> {
  return writeImage(
    r.content,
    { layers: tars.map((t, i) => layerOf(r.content, t, `layer ${i}`)), config: { platform: amd64, config: { Env: [env], Cmd: ['sh'] } } },
    { compression: { type: 'gzip' } },
  );
}

const push = (ref: string, w: WrittenImage, chunkSize?: number) =>
  pushImage(
    client,
    root.content,
    parseReference(ref),
    { descriptor: w.manifestDescriptor, manifest: w.manifest, bytes: w.manifestBytes },
    chunkSize ? { chunkSize } : {},
  );

async function collect(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

function skopeoInspect(ref: string, ...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', ...args, `docker://${ref}`], { encoding: 'utf8' })) as Record<string, unknown>;
}

describe.runIf(run)('registry client against docker-registry', () => {
  it('pushes an image that skopeo reads, then skips, then mounts across repositories', async () => {
    const w = await build(root);
    const first = await push(`${registry.host}/one/app:v1`, w);
    expect(first.digest).toBe(w.manifestDescriptor.digest);
    expect(first.blobs.map((b) => b.result)).toEqual(['uploaded', 'uploaded', 'uploaded']);
    const info = skopeoInspect(`${registry.host}/one/app:v1`);
    expect(info['Digest']).toBe(w.manifestDescriptor.digest);
    expect(info['Layers']).toEqual(w.layers.map((l) => l.digest));
    expect(info['Env']).toEqual(['A=1']);

    const again = await push(`${registry.host}/one/app:v2`, w);
    expect(again.blobs.map((b) => b.result)).toEqual(['exists', 'exists', 'exists']);
    const mounted = await push(`${registry.host}/two/app:v1`, w);
    expect(mounted.blobs.map((b) => b.result)).toEqual(['mounted', 'mounted', 'mounted']);
    expect(skopeoInspect(`${registry.host}/two/app:v1`)['Digest']).toBe(w.manifestDescriptor.digest);
  });

  it('uploads in chunks (POST, PATCH…, PUT ?digest=)', async () => {
    const w = await build(root, 'B=2');
    const proxy = await startProxy(registry.url);
    try {
      const res = await pushImage(
        client,
        root.content,
        parseReference(`${proxy.host}/chunked/app:1`),
        { descriptor: w.manifestDescriptor, manifest: w.manifest, bytes: w.manifestBytes },
        { chunkSize: 64 },
      );
      expect(res.blobs.filter((b) => b.result === 'uploaded').length).toBeGreaterThan(0);
      expect(proxy.log.filter((l) => l.startsWith('PATCH')).length).toBeGreaterThan(2);
      expect(proxy.log).toContain('PUT /v2/chunked/app/manifests/1');
    } finally {
      await proxy.close();
    }
    expect(skopeoInspect(`${registry.host}/chunked/app:1`)['Digest']).toBe(w.manifestDescriptor.digest);
  });

  it('pulls what it pushed, verifying and reporting byte progress, layers in parallel', async () => {
    const w = await build(root, 'C=3');
    await push(`${registry.host}/pull/app:v1`, w);
    const fresh = await tempRoot();
    try {
      const events: PullProgress[] = [];
      const img = await pullImage(client, fresh.content, parseReference(`${registry.host}/pull/app:v1`), {
        platform: amd64,
        onProgress: (p) => events.push(p),
      });
      expect(img.manifestDescriptor.digest).toBe(w.manifestDescriptor.digest);
      expect(img.config.config!.Env).toEqual(['C=3']);
      for (const l of w.layers) {
        expect(await fresh.content.has(l.digest)).toBe(true);
        expect(events.some((e) => e.digest === l.digest && e.done && e.current === l.size)).toBe(true);
      }
      expect((await collect(img.layers[1]!.openTar())).equals(tars[1]!)).toBe(true);
    } finally {
      await fresh.cleanup();
    }
  });

  it('pulls what skopeo pushed from an OCI layout, fetching layers only when opened', async () => {
    const dir = join(root.dir, 'layout');
    const image = { layers: tars.map((t) => layerOf(root.content, t)), config: { platform: amd64, config: { WorkingDir: '/srv' } } };
    const w = await exportArchive(root.content, image, parseOutputSpec(`type=oci,dest=${dir},tar=false,name=x:v1,compression=zstd`) as ArchiveOutput);
    execFileSync('skopeo', ['copy', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${registry.host}/fromskopeo:v1`], { stdio: 'pipe' });
    const fresh = await tempRoot();
    try {
      const img = await resolveRemoteImage(client, fresh.content, parseReference(`${registry.host}/fromskopeo:v1`), { platform: amd64 });
      expect(img.config.config!.WorkingDir).toBe('/srv');
      expect(await fresh.content.has(img.manifest.layers[0]!.digest)).toBe(false);
      expect((await collect(img.layers[0]!.openTar())).equals(tars[0]!)).toBe(true);
      expect(await fresh.content.has(img.manifest.layers[0]!.digest)).toBe(true);
      expect(await fresh.content.has(img.manifest.layers[1]!.digest)).toBe(false);
      expect(img.manifest.layers[0]!.digest).toBe(w.layers[0]!.digest);
    } finally {
      await fresh.cleanup();
    }
  });

  it('selects the platform from an index', async () => {
    const amd = await build(root, 'ARCH=amd64');
    const arm = await writeImage(
      root.content,
      { layers: [layerOf(root.content, tars[0]!)], config: { platform: { os: 'linux', architecture: 'arm64' }, config: { Env: ['ARCH=arm64'] } } },
      { compression: { type: 'gzip' } },
    );
    await push(`${registry.host}/multi@${amd.manifestDescriptor.digest}`, amd);
    await push(`${registry.host}/multi@${arm.manifestDescriptor.digest}`, arm);
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { ...arm.manifestDescriptor, platform: { os: 'linux', architecture: 'arm64' } },
        { ...amd.manifestDescriptor, platform: amd64 },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(index));
    const put = await fetch(`${registry.url}/v2/multi/manifests/latest`, { method: 'PUT', headers: { 'content-type': MediaType.ociIndex }, body: bytes });
    expect(put.status).toBe(201);
    const fresh = await tempRoot();
    try {
      const a = await resolveRemoteImage(client, fresh.content, parseReference(`${registry.host}/multi`), { platform: { os: 'linux', architecture: 'arm64' } });
      expect(a.config.config!.Env).toEqual(['ARCH=arm64']);
      expect(a.reference.digest).toBe(sha256(bytes));
      const b = await resolveRemoteImage(client, fresh.content, parseReference(`${registry.host}/multi`), { platform: amd64 });
      expect(b.manifestDescriptor.digest).toBe(amd.manifestDescriptor.digest);
      await expect(
        resolveRemoteImage(client, fresh.content, parseReference(`${registry.host}/multi`), { platform: { os: 'linux', architecture: 's390x' } }),
      ).rejects.toThrow('has no image for platform linux/s390x');
    } finally {
      await fresh.cleanup();
    }
  });

  it('a blob served with the wrong content fails the pull clearly and stores nothing', async () => {
    const w = await build(root, 'D=4');
    await push(`${registry.host}/bad/app:v1`, w);
    const layer = w.layers[1]!.digest;
    const proxy = await startProxy(registry.url, {
      corruptBlob: (path, b) => {
        if (!path.endsWith(layer)) return b;
        const c = Buffer.from(b);
        c[c.length - 10] = (c[c.length - 10]! + 1) & 0xff;
        return c;
      },
    });
    const fresh = await tempRoot();
    try {
      const ref = `${proxy.host}/bad/app:v1`;
      const err = await pullImage(client, fresh.content, parseReference(ref), { platform: amd64 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toContain(ref);
      expect((err as Error).message).toContain(layer);
      expect((err as Error).message).toContain('does not match the digest');
      expect(await fresh.content.has(layer)).toBe(false);
      expect(await readdir(join(fresh.dir, 'content', 'ingest'))).toEqual([]);
    } finally {
      await fresh.cleanup();
      await proxy.close();
    }
  });

  it('says which reference and what the registry answered when an image is missing', async () => {
    const err = await resolveRemoteImage(client, root.content, parseReference(`${registry.host}/nothere:v9`)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(404);
    expect((err as Error).message).toMatch(new RegExp(`pull manifest of ${registry.host}/nothere:v9: registry answered 404: MANIFEST_UNKNOWN`));
  });

  it('gets a bearer token with credentials from ~/.docker/config.json', async () => {
    const w = await build(root, 'E=5');
    await push(`${registry.host}/private/app:v1`, w);
    const proxy = await startProxy(registry.url, { auth: { scheme: 'bearer', user: 'alice', pass: 's3cret' } });
    const cfgDir = join(root.dir, 'docker');
    await mkdir(cfgDir);
    await writeFile(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const saved = process.env['DOCKER_CONFIG'];
    process.env['DOCKER_CONFIG'] = cfgDir;
    const fresh = await tempRoot();
    try {
      const img = await pullImage(new RegistryClient(), fresh.content, parseReference(`${proxy.host}/private/app:v1`), { platform: amd64 });
      expect(img.config.config!.Env).toEqual(['E=5']);
      expect(proxy.tokenRequests[0]!.get('service')).toBe('test-registry');
      expect(proxy.tokenRequests[0]!.getAll('scope')).toEqual(['repository:private/app:pull']);
      // anonymous: the token endpoint refuses, and the error says where to put credentials
      process.env['DOCKER_CONFIG'] = join(root.dir, 'nowhere');
      const err = await resolveRemoteImage(new RegistryClient(), fresh.content, parseReference(`${proxy.host}/private/app:v1`)).catch((e: unknown) => e);
      expect((err as Error).message).toContain('401');
      expect((err as Error).message).toContain('~/.docker/config.json');
    } finally {
      if (saved === undefined) delete process.env['DOCKER_CONFIG'];
      else process.env['DOCKER_CONFIG'] = saved;
      await fresh.cleanup();
      await proxy.close();
    }
  });

  it('answers a Basic challenge with the configured credentials', async () => {
    const w = await build(root, 'F=6');
    await push(`${registry.host}/basic/app:v1`, w);
    const proxy = await startProxy(registry.url, { auth: { scheme: 'basic', user: 'bob', pass: 'pw' } });
    const fresh = await tempRoot();
    try {
      const c = new RegistryClient({ credentials: async (h) => (h === proxy.host ? { username: 'bob', password: 'pw' } : undefined) });
      const img = await resolveRemoteImage(c, fresh.content, parseReference(`${proxy.host}/basic/app:v1`), { platform: amd64 });
      expect(img.config.config!.Env).toEqual(['F=6']);
    } finally {
      await fresh.cleanup();
      await proxy.close();
    }
  });
});

describe.runIf(run)('image exporter with push=true', () => {
  it('keeps uncompressed layers locally and pushes gzip layers', async () => {
    const spec = parseOutputSpec(`type=image,name=${registry.host}/exported/app:v1,push=true`) as ImageOutput;
    const image = { layers: tars.map((t) => layerOf(root.content, t)), config: { platform: amd64, config: { Cmd: ['run'] } } };
    const res = await exportToImageStore({ content: root.content, images: root.images, registry: client }, image, spec);
    expect(res.local!.layers.map((l) => l.mediaType)).toEqual([MediaType.ociLayer, MediaType.ociLayer]);
    expect(res.pushed).toHaveLength(1);
    const info = skopeoInspect(`${registry.host}/exported/app:v1`, '--raw');
    expect((info['layers'] as { mediaType: string }[]).map((l) => l.mediaType)).toEqual([MediaType.ociLayerGzip, MediaType.ociLayerGzip]);
    expect(res.pushed[0]!.digest).not.toBe(res.local!.manifestDescriptor.digest);
    // the same config (same diff_ids) on both sides
    expect(skopeoInspect(`${registry.host}/exported/app:v1`, '--config')['rootfs']).toEqual(res.local!.config.rootfs);
    expect((await root.images.get(`${registry.host}/exported/app:v1`))!.target.digest).toBe(res.local!.manifestDescriptor.digest);
  });
});

describe('RegistryClient endpoints', () => {
  it('uses plain HTTP for loopback only, unless insecure', () => {
    const c = new RegistryClient({ insecure: ['my.registry:5000'] });
    expect(c.baseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(c.baseUrl('127.1.2.3:80')).toBe('http://127.1.2.3:80');
    expect(c.baseUrl('[::1]:5000')).toBe('http://[::1]:5000');
    expect(c.baseUrl('my.registry:5000')).toBe('http://my.registry:5000');
    expect(c.baseUrl('ghcr.io')).toBe('https://ghcr.io');
    expect(c.baseUrl('docker.io')).toBe('https://registry-1.docker.io');
    expect(c.baseUrl('128.0.0.1')).toBe('https://128.0.0.1');
  });
});
