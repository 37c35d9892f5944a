// Two platforms' images exported as one index: into the image store (resolved back per
// platform), as an OCI layout directory that skopeo reads (index.json → index → manifests), and
// refused as a docker archive.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeGzipPool,
  exportArchive,
  exportToImageStore,
  MediaType,
  parseOutputSpec,
  type ArchiveOutput,
  type ExportableImage,
  type ImageIndex,
  type ImageOutput,
} from '../../oci/index.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { layerOf, makeTar, tempRoot, type TempRoot } from './helpers.ts';

let root: TempRoot;
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());
afterAll(() => closeGzipPool());

async function images(r: TempRoot): Promise<ExportableImage[]> {
  return Promise.all(
    ['amd64', 'arm64'].map(async (architecture) => ({
      layers: [layerOf(r.content, await makeTar([{ name: 'arch', content: `${architecture}\n` }]))],
      config: { platform: { os: 'linux', architecture }, config: { Cmd: ['sh'] } },
    })),
  );
}

describe('multi-platform exports', () => {
  it('the image store holds an index; each platform resolves to its own image', async () => {
    const r = await exportToImageStore(root, await images(root), parseOutputSpec('type=image,name=app:multi') as ImageOutput);
    expect(r.local).toBeUndefined();
    expect(r.localIndex!.index.mediaType).toBe(MediaType.ociIndex);
    expect(r.localIndex!.index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    const arm = await root.images.resolve('app:multi', { os: 'linux', architecture: 'arm64' });
    expect(arm?.config.architecture).toBe('arm64');
    expect(arm?.manifestDescriptor.digest).toBe(r.localIndex!.index.manifests[1]!.digest);
  });

  it.runIf(requirePrereqs({ commands: ['skopeo'] }))('an OCI layout names one index that skopeo reads', async () => {
    const dest = join(root.dir, 'layout');
    const written = await exportArchive(root.content, await images(root), parseOutputSpec(`type=oci,dest=${dest},tar=false,name=app:1`) as ArchiveOutput);
    const top = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8')) as ImageIndex;
    expect(top.manifests).toHaveLength(1);
    expect(top.manifests[0]).toMatchObject({ mediaType: MediaType.ociIndex, digest: written.descriptor.digest });
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${dest}:1`], { encoding: 'utf8' })) as ImageIndex;
    expect(raw.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--override-arch', 'arm64', '--config', `oci:${dest}:1`], { encoding: 'utf8' })) as {
      architecture: string;
    };
    expect(config.architecture).toBe('arm64');
  });

  it('Docker media types make a manifest list; a docker archive refuses several platforms', async () => {
    const written = await exportArchive(
      root.content,
      await images(root),
      parseOutputSpec(`type=oci,dest=${join(root.dir, 'a.tar')},oci-mediatypes=false`) as ArchiveOutput,
    );
    expect(written.index.mediaType).toBe(MediaType.dockerManifestList);
    expect(new Set(written.index.manifests.map((m) => m.mediaType))).toEqual(new Set([MediaType.dockerManifest]));
    await expect(
      exportArchive(root.content, await images(root), parseOutputSpec(`type=docker,dest=${join(root.dir, 'd.tar')}`) as ArchiveOutput),
    ).rejects.toThrow(/a docker archive holds one image, not several platforms/);
  });
});
