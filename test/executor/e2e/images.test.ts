// Image sources (registry and local store), lazy layers, and layer chains of merge and diff.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diff, image, merge, mkfile, scratch } from '../../../llb/index.ts';
import { ContentStore, parseReference, pushImage, RegistryClient, type WrittenImage } from '../../../oci/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { build, busyboxImage, harness, ok, storeBusybox, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc', 'tar', 'docker-registry'] });

describe.runIf(run)('image sources', () => {
  let reg: TestRegistry;
  let pushed: WrittenImage;
  let remote: string;
  let scratchDir: string;
  let h: Harness;
  const requests: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    requests.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(input, init);
  };

  beforeAll(async () => {
    reg = await startRegistry();
    scratchDir = await mkdtemp(join(tmpdir(), 'tsbuild-push-'));
    const content = new ContentStore(join(scratchDir, 'content'));
    pushed = await busyboxImage(content);
    remote = `${reg.host}/tsb/busybox:1`;
    await pushImage(new RegistryClient(), content, parseReference(remote), {
      descriptor: pushed.manifestDescriptor,
      manifest: pushed.manifest,
      bytes: pushed.manifestBytes,
    });
    h = await harness({ registry: { fetch: countingFetch } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await reg?.stop();
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  });

  const layerDigest = () => pushed.layers[0]!.digest;
  const graph = () => image(remote).run(['/bin/sh', '-c', 'echo from-registry > /x'], { customName: 'RUN x' }).root();

  test('a registry image is pulled when a step needs its filesystem, with progress', async () => {
    requests.length = 0;
    const b = await build(h, graph());
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'x'), 'utf8')).toBe('from-registry\n');
      expect((await stat(join(dir.path, 'bin', 'busybox'))).isFile()).toBe(true);
    } finally {
      await dir.release();
    }
    expect(requests.filter((r) => r.includes(`/blobs/${layerDigest()}`)).length).toBe(1);
    expect(b.events.some((e) => e.type === 'status' && e.id === `pulling ${layerDigest()}`)).toBe(true);
  });

  test('a cached build does not download the base layers', async () => {
    await h.executor.stores.content.delete(layerDigest());
    await h.reopen({ registry: { fetch: countingFetch } });
    requests.length = 0;
    const b = await build(h, graph());
    ok(b);
    expect(b.ran.filter((n) => !n.includes('://'))).toEqual([]);
    expect(requests.some((r) => r.includes('/blobs/'))).toBe(false);
    // Exporting needs the blob again: it is fetched then, on demand.
    const layers = await h.executor.layersOf(ok(b));
    expect(await layers[0]!.diffID()).toBe(pushed.diffIDs[0]);
    const blob = await layers[0]!.blob({ type: 'gzip' });
    expect(blob.digest).toBe(layerDigest());
  });

  test('a name in the local image store is used without the registry', async () => {
    await storeBusybox(h.root, 'tsbuild.test/local-only:1');
    await h.reopen({ registry: { fetch: countingFetch } });
    requests.length = 0;
    const b = await build(h, image('tsbuild.test/local-only:1').run(['/bin/sh', '-c', 'echo local > /y']).root());
    ok(b);
    expect(requests).toEqual([]);
  });

  test('merge exports the concatenation of existing layers; a linked layer is reused on two bases', async () => {
    const linked = scratch().file(mkfile('/linked.txt', 0o644, 'linked'), { customName: 'COPY --link' });
    const other = image(remote).file(mkfile('/other', 0o644, 'o'));
    const b1 = await build(h, merge([image(remote), linked]));
    const b2 = await build(h, merge([other, linked]));
    const l1 = await h.executor.layersOf(ok(b1));
    const l2 = await h.executor.layersOf(ok(b2));
    expect(l1.length).toBe(2);
    expect(l2.length).toBe(3);
    expect((await l1[0]!.blob({ type: 'gzip' })).digest).toBe(layerDigest());
    expect(l1[1]).toBe(l2[2]);
    const blobA = await l1[1]!.blob({ type: 'gzip' });
    const blobB = await l2[2]!.blob({ type: 'gzip' });
    expect(blobA).toEqual(blobB);
    const dir = await h.executor.readableDir(ok(b2));
    try {
      expect(await readFile(join(dir.path, 'linked.txt'), 'utf8')).toBe('linked');
      expect(await readFile(join(dir.path, 'other'), 'utf8')).toBe('o');
    } finally {
      await dir.release();
    }
  });

  test('diff of a state and a step on it is the step own layer', async () => {
    const base = image(remote);
    const upper = base.run(['/bin/sh', '-c', 'echo d > /d']).root();
    const b = await build(h, diff(base, upper));
    const layers = await h.executor.layersOf(ok(b));
    const full = await h.executor.layersOf(ok(await build(h, upper)));
    expect(layers.length).toBe(1);
    expect(layers[0]).toBe(full[1]);
  });
});
