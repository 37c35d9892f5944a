import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  closeGzipPool,
  exportArchive,
  exportToImageStore,
  ImageNotFoundError,
  parseOutputSpec,
  parseReference,
  pushImage,
  RegistryClient,
  resolveBaseImage,
  resolveLayoutImage,
  writeImage,
  type ArchiveOutput,
  type ImageOutput,
} from '../../oci/index.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { amd64, layerOf, makeTar, tempRoot, type TempRoot } from './helpers.ts';
import { startProxy } from './registry-proxy.ts';

let root: TempRoot;
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());
afterAll(() => closeGzipPool());

async function collect(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

const sample = async (r: TempRoot, env: string) => {
  const tar = await makeTar([{ name: 'f', content: env }]);
  return { tar, image: { layers: [layerOf(r.content, tar)], config: { platform: amd64, config: { Env: [env] } } } };
};

describe('OCI layout images', () => {
  it('resolves by tag and copies layer blobs only when opened', async () => {
    const { tar, image } = await sample(root, 'L=1');
    const dir = join(root.dir, 'layout');
    await exportArchive(root.content, image, parseOutputSpec(`type=oci,dest=${dir},tar=false,name=x:v1`) as ArchiveOutput);
    const fresh = await tempRoot();
    try {
      const img = await resolveLayoutImage(fresh.content, dir, { tag: 'v1', platform: amd64 });
      expect(img.config.config!.Env).toEqual(['L=1']);
      expect(await fresh.content.has(img.manifest.layers[0]!.digest)).toBe(false);
      expect((await collect(img.layers[0]!.openTar())).equals(tar)).toBe(true);
      expect(await fresh.content.has(img.manifest.layers[0]!.digest)).toBe(true);
      await expect(resolveLayoutImage(fresh.content, dir, { tag: 'nope' })).rejects.toThrow(ImageNotFoundError);
    } finally {
      await fresh.cleanup();
    }
  });
});

describe('base image resolution', () => {
  it('uses the local store without any registry', async () => {
    const { image } = await sample(root, 'S=1');
    await exportToImageStore({ content: root.content, images: root.images }, image, parseOutputSpec('type=image,name=local/base:1') as ImageOutput);
    const img = await resolveBaseImage({ content: root.content, images: root.images }, 'local/base:1', { platform: amd64 });
    expect(img.config.config!.Env).toEqual(['S=1']);
    await expect(resolveBaseImage({ content: root.content, images: root.images }, 'other:1')).rejects.toThrow(ImageNotFoundError);
    await expect(resolveBaseImage({ content: root.content, images: root.images }, 'other:1', { pull: 'never' })).rejects.toThrow('pulling is disabled');
  });
});

const withRegistry = requirePrereqs({ commands: ['docker-registry'] });
describe.runIf(withRegistry)('base image resolution with a registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => (registry = await startRegistry()));
  afterAll(async () => registry?.stop());

  it('pulls when missing, records the name, then uses the store; --pull always asks again', async () => {
    const { tar, image } = await sample(root, 'R=1');
    const w = await writeImage(root.content, image, { compression: { type: 'gzip' } });
    const client = new RegistryClient({ credentials: async () => undefined });
    await pushImage(client, root.content, parseReference(`${registry.host}/base:1`), {
      descriptor: w.manifestDescriptor,
      manifest: w.manifest,
      bytes: w.manifestBytes,
    });
    const proxy = await startProxy(registry.url);
    const fresh = await tempRoot();
    try {
      const ctx = { content: fresh.content, images: fresh.images, registry: client };
      const name = `${proxy.host}/base:1`;
      const first = await resolveBaseImage(ctx, name, { platform: amd64 });
      expect(first.config.config!.Env).toEqual(['R=1']);
      expect(proxy.log.filter((l) => l.includes('/blobs/') && l.endsWith(w.layers[0]!.digest))).toEqual([]);
      expect((await fresh.images.get(name))!.target.digest).toBe(w.manifestDescriptor.digest);
      const before = proxy.log.length;
      const second = await resolveBaseImage(ctx, name, { platform: amd64 });
      expect(proxy.log.length).toBe(before);
      // its layers still come from the registry when first opened
      expect((await collect(second.layers[0]!.openTar())).equals(tar)).toBe(true);
      expect(proxy.log.some((l) => l.endsWith(w.layers[0]!.digest))).toBe(true);
      await resolveBaseImage(ctx, name, { platform: amd64, pull: 'always' });
      expect(proxy.log.filter((l) => l.includes('/manifests/1')).length).toBe(2);
    } finally {
      await fresh.cleanup();
      await proxy.close();
    }
  });
});
