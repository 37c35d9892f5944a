// `FROM image` exported with `-o type=local` and `-o type=tar` keeps what the image holds: hard
// links, FIFOs and device nodes, and applies (never exports) whiteouts and opaque markers at any
// depth, on both snapshotters. The base image is made of hand-written layer tars, pushed to a real
// registry; GNU tar reads the exported tar back.
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pack as tarPack, type Header } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeGzipPool, parseReference, pushImage, RegistryClient, writeImage } from '../../oci/index.ts';
import { amd64, layerOf, tempRoot as ociRoot } from '../oci/helpers.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { bindCli, stackLines, tempRoot } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['docker-registry', 'tar'] });

type Entry = Partial<Header> & { name: string; content?: string };

async function layer(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => void chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const { content, ...h } of entries) {
    const type = h.type ?? 'file';
    const header: Partial<Header> & { name: string } = {
      ...h,
      type,
      mode: h.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      mtime: new Date(1_700_000_000_000),
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, content ?? '', (e) => (e ? reject(e) : resolve()));
      else pack.entry(header, (e) => (e ? reject(e) : resolve()));
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

const dir = (name: string): Entry => ({ name, type: 'directory' });

const lower: Entry[] = [
  dir('a/'),
  { name: 'a/file', content: 'shared\n' },
  { name: 'a/link', type: 'link', linkname: 'a/file' },
  dir('d1/'),
  dir('d1/d2/'),
  dir('d1/d2/d3/'),
  dir('d1/d2/d3/d4/'),
  { name: 'd1/d2/d3/d4/orig', content: 'deep\n' },
  { name: 'd1/d2/d3/d4/hl', type: 'link', linkname: 'd1/d2/d3/d4/orig' },
  { name: 'top-link', type: 'link', linkname: 'd1/d2/d3/d4/orig' },
  dir('srv/'),
  { name: 'srv/fifo', type: 'fifo', mode: 0o640 },
  dir('dev/'),
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660 },
  dir('x/'),
  dir('x/y/'),
  dir('x/y/z/'),
  { name: 'x/y/z/gone', content: 'whited out\n' },
  { name: 'x/y/z/keep', content: 'kept\n' },
  dir('o/'),
  dir('o/p/'),
  dir('o/p/q/'),
  dir('o/p/q/old/'),
  { name: 'o/p/q/old/f', content: 'old\n' },
  { name: 'o/p/q/old-file', content: 'old\n' },
  // Whiteouts and an opaque marker with nothing below them: the bottom layer deletes nothing.
  { name: '.wh.nothing-below', content: '' },
  { name: 'a/.wh.nothing-below', content: '' },
  { name: 'g/h/i/.wh.nothing-below', content: '' },
  dir('n/'),
  dir('n/m/'),
  dir('n/m/k/'),
  { name: 'n/m/k/.wh..wh..opq', content: '' },
  { name: 'n/m/k/.wh.inside', content: '' },
  { name: 'n/m/k/f', content: 'opaque from the start\n' },
];

const upper: Entry[] = [
  { name: '.wh.never-there', content: '' },
  dir('a/'),
  { name: 'a/.wh.absent', content: '' },
  { name: 'ghost/dir/.wh.absent', content: '' },
  dir('x/'),
  dir('x/y/'),
  dir('x/y/z/'),
  { name: 'x/y/z/.wh.gone', content: '' },
  dir('o/'),
  dir('o/p/'),
  dir('o/p/q/'),
  { name: 'o/p/q/.wh..wh..opq', content: '' },
  { name: 'o/p/q/new', content: 'new\n' },
];

async function allNames(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(join(root, rel))) {
    const p = rel === '' ? name : `${rel}/${name}`;
    out.push(p);
    if ((await lstat(join(root, p))).isDirectory()) out.push(...(await allNames(root, p)));
  }
  return out;
}

describe.runIf(run)('FROM a pushed image, exported as a filesystem', () => {
  let registry: TestRegistry;
  let work: string;
  let image: string;

  beforeAll(async () => {
    registry = await startRegistry();
    work = await mkdtemp(join(tmpdir(), 'tsbuild-base-export-'));
    const store = await ociRoot();
    try {
      const layers = [layerOf(store.content, await layer(lower)), layerOf(store.content, await layer(upper))];
      const w = await writeImage(store.content, { layers, config: { platform: amd64, config: { Cmd: ['sh'] } } }, { compression: { type: 'gzip' } });
      image = `${registry.host}/fidelity/base:v1`;
      const client = new RegistryClient({ credentials: async () => undefined });
      await pushImage(client, store.content, parseReference(image), { descriptor: w.manifestDescriptor, manifest: w.manifest, bytes: w.manifestBytes });
    } finally {
      await store.cleanup();
    }
    await mkdir(join(work, 'ctx'));
    await writeFile(join(work, 'ctx', 'Dockerfile'), `FROM ${image}\n`);
  });
  afterAll(async () => {
    await registry?.stop();
    await closeGzipPool();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe.each(['overlayfs', 'native'] as const)('%s snapshotter', (snapshotter) => {
    const env = { TSBUILD_SNAPSHOTTER: snapshotter };

    test('-o type=local keeps links, FIFOs and devices, and applies whiteouts', async () => {
      const { root, dispose } = await tempRoot();
      try {
        const out = join(work, `local-${snapshotter}`);
        const r = await bindCli(root).run(['build', '--progress=plain', '-o', `type=local,dest=${out}`, join(work, 'ctx')], { env });
        expect(stackLines(r.stderr)).toEqual([]);
        expect(r.stderr).not.toMatch(/ENOENT/);
        expect(r.code).toBe(0);

        const names = await allNames(out);
        expect(names.filter((n) => n.split('/').some((part) => part.startsWith('.wh.')))).toEqual([]);
        expect(names).not.toContain('x/y/z/gone');
        expect(await readFile(join(out, 'x/y/z/keep'), 'utf8')).toBe('kept\n');
        expect(names.filter((n) => n.startsWith('o/')).sort()).toEqual(['o/p', 'o/p/q', 'o/p/q/new']);
        expect(names.filter((n) => /^(g$|g\/|n\/)/.test(n)).sort()).toEqual(['g', 'g/h', 'g/h/i', 'n/m', 'n/m/k', 'n/m/k/f']);

        const [file, link] = await Promise.all([lstat(join(out, 'a/file')), lstat(join(out, 'a/link'))]);
        expect(link.ino).toBe(file.ino);
        expect(file.nlink).toBe(2);
        const deep = await Promise.all(['d1/d2/d3/d4/orig', 'd1/d2/d3/d4/hl', 'top-link'].map((p) => lstat(join(out, p))));
        expect(new Set(deep.map((s) => s.ino)).size).toBe(1);
        expect(deep[0]!.nlink).toBe(3);

        const fifo = await lstat(join(out, 'srv/fifo'));
        expect(fifo.isFIFO()).toBe(true);
        expect(fifo.mode & 0o7777).toBe(0o640);
        const chr = await lstat(join(out, 'dev/null'));
        expect(chr.isCharacterDevice()).toBe(true);
        expect([Math.floor(chr.rdev / 256), chr.rdev % 256]).toEqual([1, 3]);
        const blk = await lstat(join(out, 'dev/loop9'));
        expect(blk.isBlockDevice()).toBe(true);
        expect([Math.floor(blk.rdev / 256), blk.rdev % 256]).toEqual([7, 9]);
      } finally {
        await dispose();
      }
    });

    test('-o type=tar writes hard-link, FIFO and device entries that GNU tar reads, and no whiteouts', async () => {
      const { root, dispose } = await tempRoot();
      try {
        const out = join(work, `rootfs-${snapshotter}.tar`);
        const r = await bindCli(root).run(['build', '--progress=plain', '-o', `type=tar,dest=${out}`, join(work, 'ctx')], { env });
        expect(stackLines(r.stderr)).toEqual([]);
        expect(r.code).toBe(0);

        const { stdout } = await exec('tar', ['-tvf', out]);
        const lines = stdout.trim().split('\n');
        const line = (name: string) => lines.find((l) => l.endsWith(` ${name}`) || l.includes(` ${name} link to `)) ?? `(no entry for ${name})`;
        const names = (await exec('tar', ['-tf', out])).stdout
          .trim()
          .split('\n')
          .map((n) => n.replace(/\/$/, ''));
        expect(names.filter((n) => n.split('/').some((part) => part.startsWith('.wh.')))).toEqual([]);
        expect(names).not.toContain('x/y/z/gone');
        expect(names).toContain('x/y/z/keep');
        expect(names.filter((n) => n.startsWith('o/')).sort()).toEqual(['o/p', 'o/p/q', 'o/p/q/new']);
        expect(names.filter((n) => /^(g$|g\/|n\/)/.test(n)).sort()).toEqual(['g', 'g/h', 'g/h/i', 'n/m', 'n/m/k', 'n/m/k/f']);

        // One of each set of names sharing an inode is the file, the others link to it.
        expect(
          lines
            .filter((l) => / a\/(file|link)( link to a\/(file|link))?$/.test(l))
            .map((l) => l[0])
            .sort(),
        ).toEqual(['-', 'h']);
        const deep = lines.filter((l) => /(d1\/d2\/d3\/d4\/(orig|hl)|top-link)( link to .*)?$/.test(l));
        expect(deep.map((l) => l[0]).sort()).toEqual(['-', 'h', 'h']);
        expect(line('srv/fifo')).toMatch(/^prw-r-----/);
        expect(line('dev/null')).toMatch(/^crw-rw-rw- 0\/0\s+1,3 /);
        expect(line('dev/loop9')).toMatch(/^brw-rw---- 0\/0\s+7,9 /);
      } finally {
        await dispose();
      }
    });
  });
});
