// A cache through a real registry, behind a proxy that demands a token (credentials from the
// Docker config) or corrupts what it serves: pushed, read back entry for entry, and refused
// when a blob does not match its digest.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseReference, prepareCache, pullCache, pushCache, RegistryClient, sha256, type CacheEntry } from '../../../oci/index.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { tempRoot, type TempRoot } from '../helpers.ts';
import { startProxy } from '../registry-proxy.ts';

const run = requirePrereqs({ commands: ['docker-registry'] });

let registry: TestRegistry;
let root: TempRoot;
beforeAll(async () => {
  if (run) registry = await startRegistry();
});
afterAll(async () => registry?.stop());
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());

/** Two layers written to the content store, and entries naming chains over them. */
async function entries(r: TempRoot): Promise<CacheEntry[]> {
  const [a, b] = await Promise.all(['layer a', 'layer b'].map((t) => r.content.write(t)));
  const blob = (info: { digest: `sha256:${string}`; size: number }, t: string) => ({
    descriptor: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: info.digest, size: info.size },
    diffID: info.digest,
    createdAt: t,
  });
  const la = blob(a!, '2026-01-01T00:00:00Z');
  const lb = blob(b!, '2026-01-01T00:00:01Z');
  return [
    { key: sha256('key one'), createdAt: la.createdAt, chain: [la] },
    { key: sha256('key two'), createdAt: lb.createdAt, chain: [la, lb] },
  ];
}

describe.runIf(run)('cache in a registry', () => {
  it('pushes with a token from ~/.docker/config.json and reads back every entry', async () => {
    const proxy = await startProxy(registry.url, { auth: { scheme: 'bearer', user: 'alice', pass: 's3cret' } });
    const cfgDir = join(root.dir, 'docker');
    await mkdir(cfgDir);
    await writeFile(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
    const saved = process.env['DOCKER_CONFIG'];
    process.env['DOCKER_CONFIG'] = cfgDir;
    const other = await tempRoot();
    try {
      const written = await entries(root);
      const ref = parseReference(`${proxy.host}/team/cache:main`);
      const prepared = await prepareCache(root.content, written, { imageManifest: true, ociMediaTypes: true });
      const pushed = await pushCache(new RegistryClient(), root.content, ref, prepared);
      expect(pushed.blobs.map((b) => b.result)).toEqual(['uploaded', 'uploaded', 'uploaded']);
      const pulled = await pullCache(new RegistryClient(), other.content, ref);
      expect(pulled.manifest).toBe(prepared.manifest.digest);
      expect(pulled.entries.map((e) => [e.key, e.chain.map((c) => c.descriptor.digest)])).toEqual(
        written.map((e) => [e.key, e.chain.map((c) => c.descriptor.digest)]).sort(([a], [b]) => String(a).localeCompare(String(b))),
      );
      // Layers stay in the registry: only the manifest and the config were stored.
      expect(await other.content.has(written[1]!.chain[1]!.descriptor.digest)).toBe(false);
      expect(proxy.tokenRequests.length).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env['DOCKER_CONFIG'];
      else process.env['DOCKER_CONFIG'] = saved;
      await other.cleanup();
      await proxy.close();
    }
  });

  it('refuses a cache config that does not match its digest, and stores nothing', async () => {
    const ref = parseReference(`${registry.host}/cache/corrupt:1`);
    const prepared = await prepareCache(root.content, await entries(root), { imageManifest: true, ociMediaTypes: true });
    await pushCache(new RegistryClient(), root.content, ref, prepared);
    const proxy = await startProxy(registry.url, { corruptBlob: (_path, body) => Buffer.concat([body, Buffer.from(' ')]) });
    const other = await tempRoot();
    try {
      const err = await pullCache(new RegistryClient(), other.content, parseReference(`${proxy.host}/cache/corrupt:1`)).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/does not match the digest.*nothing was stored/);
      expect(await other.content.has(prepared.config.digest)).toBe(false);
    } finally {
      await other.cleanup();
      await proxy.close();
    }
  });
});
