import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeGzipPool,
  exportArchive,
  exportFilesystem,
  exportToImageStore,
  parseOutputSpec,
  sha256,
  type ArchiveOutput,
  type ExportableImage,
  type ImageOutput,
} from '../../oci/index.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { amd64, layerOf, makeTar, tempRoot, type TempRoot } from './helpers.ts';

let root: TempRoot;
beforeEach(async () => (root = await tempRoot()));
afterEach(async () => root.cleanup());
afterAll(() => closeGzipPool());

async function sampleImage(r: TempRoot, mtime = 1_700_000_000): Promise<ExportableImage> {
  const baseTime = 1_700_000_000;
  const base = await makeTar([
    { name: 'etc/', type: 'directory', mtime: baseTime },
    { name: 'etc/hello', content: 'hello\n', mtime: baseTime },
    { name: 'etc/gone', content: 'bye\n', mtime: baseTime },
    { name: 'bin/', type: 'directory', mtime: baseTime },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox', mtime: baseTime },
    { name: 'bin/busybox', content: '#!fake\n', mode: 0o755, mtime: baseTime },
  ]);
  const top = await makeTar([
    { name: 'etc/', type: 'directory', mtime },
    { name: 'etc/hello', content: 'hello again\n', mtime },
    { name: 'etc/.wh.gone', content: '', mtime },
    { name: 'app/', type: 'directory', mtime },
    { name: 'app/data.txt', content: 'x'.repeat(50_000), mtime },
  ]);
  return {
    layers: [layerOf(r.content, base, 'base'), layerOf(r.content, top, 'COPY . /app')],
    baseLayerCount: 1,
    config: {
      platform: amd64,
      config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['/bin/sh'], WorkingDir: '/app', Labels: { 'org.example': 'yes' }, ExposedPorts: { '80/tcp': {} } },
      history: [{ created_by: 'base' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'COPY . /app' }],
      baseHistoryLength: 1,
    },
  };
}

/** path → "dir mode" | "file mode sha" | "link target" for a directory tree. */
async function treeOf(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(join(dir, rel))).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const s = await lstat(join(dir, p));
    if (s.isDirectory()) {
      out[p] = `dir ${(s.mode & 0o7777).toString(8)}`;
      Object.assign(out, await treeOf(dir, p));
    } else if (s.isSymbolicLink()) out[p] = `link ${await readlink(join(dir, p))}`;
    else
      out[p] = `file ${(s.mode & 0o7777).toString(8)} ${createHash('sha256')
        .update(await readFile(join(dir, p)))
        .digest('hex')
        .slice(0, 12)}`;
  }
  return out;
}

async function tarEntries(buf: Buffer): Promise<Map<string, Buffer>> {
  const ex = tarExtract();
  const files = new Map<string, Buffer>();
  ex.on('entry', (h, s, next) => {
    const parts: Buffer[] = [];
    s.on('data', (c) => void parts.push(c as Buffer));
    s.on('end', () => {
      files.set(h.name, Buffer.concat(parts));
      next();
    });
  });
  const done = new Promise<void>((r, j) => (ex.on('finish', () => r()), ex.on('error', j)));
  Readable.from([buf]).pipe(ex);
  await done;
  return files;
}

const archive = (s: string) => parseOutputSpec(s) as ArchiveOutput;

describe('oci exporter', () => {
  it('skopeo reads the OCI archive; umoci unpacks the layout to the expected rootfs', async () => {
    if (!requirePrereqs({ root: true, commands: ['skopeo', 'umoci'] })) return;
    const image = await sampleImage(root);
    const out = join(root.dir, 'out.tar');
    const written = await exportArchive(root.content, image, archive(`type=oci,dest=${out},name=example.com/app:v1`));
    const info = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${out}`], { encoding: 'utf8' })) as {
      Digest: string;
      Layers: string[];
      Env: string[];
      Labels: Record<string, string>;
      Architecture: string;
    };
    expect(info.Digest).toBe(written.manifestDescriptor.digest);
    expect(info.Layers).toEqual(written.layers.map((l) => l.digest));
    expect(info.Env).toEqual(['PATH=/bin', 'A=1']);
    expect(info.Labels).toEqual({ 'org.example': 'yes' });
    expect(info.Architecture).toBe('amd64');
    const cfg = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci-archive:${out}`], { encoding: 'utf8' })) as {
      history: { empty_layer?: boolean }[];
      rootfs: { diff_ids: string[] };
    };
    expect(cfg.history.map((h) => Boolean(h.empty_layer))).toEqual([false, true, false]);
    expect(cfg.rootfs.diff_ids).toEqual(written.diffIDs);

    const layoutDir = join(root.dir, 'layout');
    await exportArchive(root.content, image, archive(`type=oci,dest=${layoutDir},tar=false,name=example.com/app:v1`));
    const bundle = join(root.dir, 'bundle');
    execFileSync('umoci', ['unpack', '--image', `${layoutDir}:v1`, bundle], { stdio: 'pipe' });
    expect(await treeOf(join(bundle, 'rootfs'))).toEqual({
      app: 'dir 755',
      'app/data.txt': `file 644 ${sha256('x'.repeat(50_000)).slice(7, 19)}`,
      bin: 'dir 755',
      'bin/busybox': `file 755 ${sha256('#!fake\n').slice(7, 19)}`,
      'bin/sh': 'link busybox',
      etc: 'dir 755',
      'etc/hello': `file 644 ${sha256('hello again\n').slice(7, 19)}`,
    });
  });

  it('zstd and uncompressed layers carry the matching media types', async () => {
    const image = await sampleImage(root);
    const z = await exportArchive(root.content, image, archive(`type=oci,dest=${join(root.dir, 'z')},tar=false,compression=zstd`));
    expect(z.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd']);
    const u = await exportArchive(root.content, image, archive(`type=oci,dest=${join(root.dir, 'u')},tar=false,compression=uncompressed`));
    expect(u.layers[0]!.digest).toBe(u.diffIDs[0]);
    if (requirePrereqs({ commands: ['skopeo'] })) {
      const info = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${join(root.dir, 'z')}`], { encoding: 'utf8' })) as { Digest: string };
      expect(info.Digest).toBe(z.manifestDescriptor.digest);
    }
  });

  it('two clean exports with SOURCE_DATE_EPOCH and rewrite-timestamp give the same digest and bytes', async () => {
    const other = await tempRoot();
    try {
      const spec = (dir: string) => archive(`type=oci,dest=${join(dir, 'o.tar')},rewrite-timestamp=true,source-date-epoch=1600000000`);
      const a = await exportArchive(root.content, await sampleImage(root, 1_700_000_000), spec(root.dir));
      const b = await exportArchive(other.content, await sampleImage(other, 1_700_000_123), spec(other.dir));
      expect(a.manifestDescriptor.digest).toBe(b.manifestDescriptor.digest);
      expect(a.config.created).toBe('2020-09-13T12:26:40Z');
      expect((await readFile(join(root.dir, 'o.tar'))).equals(await readFile(join(other.dir, 'o.tar')))).toBe(true);
      // without rewrite-timestamp the differing file times show
      const c = await exportArchive(
        other.content,
        await sampleImage(other, 1_700_000_123),
        archive(`type=oci,dest=${join(other.dir, 'p.tar')},source-date-epoch=1600000000`),
      );
      expect(c.manifestDescriptor.digest).not.toBe(a.manifestDescriptor.digest);
    } finally {
      await other.cleanup();
    }
  });
});

describe('docker exporter', () => {
  it('writes the layout docker load expects', async () => {
    const image = await sampleImage(root);
    const out = join(root.dir, 'd.tar');
    const written = await exportArchive(root.content, image, archive(`type=docker,dest=${out},name=app:1`));
    const files = await tarEntries(await readFile(out));
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(manifest).toHaveLength(1);
    expect(manifest[0]!.RepoTags).toEqual(['app:1']);
    const cfgBytes = files.get(manifest[0]!.Config)!;
    expect(`sha256:${manifest[0]!.Config.split('/').pop()}`).toBe(sha256(cfgBytes));
    expect(JSON.parse(cfgBytes.toString()).rootfs.diff_ids).toEqual(written.diffIDs);
    expect(manifest[0]!.Layers).toHaveLength(2);
    for (const l of manifest[0]!.Layers) expect(sha256(files.get(l)!)).toBe(`sha256:${l.split('/').pop()}`);
    expect(JSON.parse(files.get('repositories')!.toString())).toEqual({ app: { '1': written.layers[1]!.digest.slice(7) } });
    expect(written.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(written.layers[0]!.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(files.has('oci-layout')).toBe(true);
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests[0]!.annotations).toEqual({ 'io.containerd.image.name': 'docker.io/library/app:1', 'org.opencontainers.image.ref.name': '1' });
  });
});

describe('image exporter (local store)', () => {
  it('stores uncompressed layers under the names and resolves them as a base', async () => {
    const image = await sampleImage(root);
    const res = await exportToImageStore({ content: root.content, images: root.images }, image, parseOutputSpec('type=image,name=myapp') as ImageOutput, [
      'myapp:extra',
    ]);
    expect(res.names).toEqual(['docker.io/library/myapp:latest', 'docker.io/library/myapp:extra']);
    expect(res.local!.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.v1.tar']);
    expect(res.local!.layers.map((l) => l.digest)).toEqual(res.local!.diffIDs);
    expect((await root.images.list()).map((r) => r.name)).toEqual(['docker.io/library/myapp:extra', 'docker.io/library/myapp:latest']);
    const base = await root.images.resolve('myapp', amd64);
    expect(base!.config.config!.WorkingDir).toBe('/app');
    expect(base!.layers).toHaveLength(2);
    expect(await base!.layers[1]!.diffID()).toBe(res.local!.diffIDs[1]);
    expect(await root.images.remove('myapp:extra')).toBe(true);
    expect(await root.images.remove('myapp:extra')).toBe(false);
    expect(await root.images.resolve('myapp:extra')).toBeUndefined();
    await expect(root.images.resolveOrThrow('nothere')).rejects.toThrow('image docker.io/library/nothere:latest not found in the local image store');
  });

  it('concurrent name updates are all kept', async () => {
    const image = await sampleImage(root);
    const res = await exportToImageStore({ content: root.content, images: root.images }, image, parseOutputSpec('type=image,name=a') as ImageOutput);
    await Promise.all(Array.from({ length: 20 }, (_, i) => root.images.put(`img${i}`, res.local!.manifestDescriptor)));
    expect(await root.images.list()).toHaveLength(21);
  });
});

describe('local and tar exporters', () => {
  it('copy a rootfs directory and write it as a sorted tar, clamping times', async () => {
    const src = join(root.dir, 'rootfs');
    await mkdir(join(src, 'b/c'), { recursive: true });
    await writeFile(join(src, 'b/c/f'), 'F');
    await writeFile(join(src, 'a'), 'A');
    await symlink('a', join(src, 'l'));
    await utimes(join(src, 'a'), new Date(2e12), new Date(2e12));
    const dest = join(root.dir, 'copy');
    await exportFilesystem(src, { type: 'local', dest, sourceDateEpoch: 1000, rewriteTimestamp: true });
    expect(await treeOf(dest)).toEqual(await treeOf(src));
    expect((await lstat(join(dest, 'a'))).mtimeMs).toBe(1_000_000);
    const tarPath = join(root.dir, 'fs.tar');
    await exportFilesystem(src, { type: 'tar', dest: tarPath, sourceDateEpoch: undefined, rewriteTimestamp: false });
    const files = await tarEntries(await readFile(tarPath));
    expect([...files.keys()]).toEqual(['a', 'b/', 'b/c/', 'b/c/f', 'l']);
    expect(files.get('b/c/f')!.toString()).toBe('F');
  });
});
