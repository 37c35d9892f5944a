// Layer tar writing, reading, diffs and applying, checked against GNU tar where it helps.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TarFormatError,
  UnsafeLayerError,
  applyLayer,
  LayerFilesBuilder,
  encodeHeader,
  layerTarChunks,
  listLayerTar,
  overlayUpperChanges,
  readTar,
  readXattrs,
  sortChanges,
  treeAsChanges,
  treeDiffChanges,
  writeLayer,
  type Change,
  type TarHeader,
  type WriteLayerOptions,
} from '../../../oci/layer/index.ts';
import { HashPool } from '../../../executor/contenthash/hash-pool.ts';
import { requirePrereqs } from '../../support/require-root.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsbuild-layer-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function fresh(name: string): Promise<string> {
  const d = join(tmp, name);
  await mkdir(d, { recursive: true });
  return d;
}

async function collect(changes: AsyncIterable<Change>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of changes) out.push(`${c.kind} ${c.path}`);
  return out;
}

async function headers(src: AsyncIterable<Buffer>): Promise<TarHeader[]> {
  const out: TarHeader[] = [];
  for await (const m of readTar(src)) {
    out.push(m.header);
    for await (const _ of m.body()) void _;
  }
  return out;
}

async function bytes(src: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of src) chunks.push(c);
  return Buffer.concat(chunks);
}

const T = new Date('2022-02-02T02:02:02Z');

describe('layer writer', () => {
  it('writes a tree that GNU tar reads back identically', async () => {
    const src = await fresh('w-src');
    await mkdir(join(src, 'dir', 'sub'), { recursive: true });
    await writeFile(join(src, 'dir', 'small.txt'), 'small\n');
    await writeFile(join(src, 'dir', 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 0xab));
    await symlink('../dir/small.txt', join(src, 'dir', 'sub', 'ln'));
    await link(join(src, 'dir', 'small.txt'), join(src, 'hard.txt'));
    const long = 'n'.repeat(120) + '-é.txt';
    await writeFile(join(src, long), 'long name');
    await chmod(join(src, 'dir', 'small.txt'), 0o640);
    const tarPath = join(tmp, 'w.tar');
    await writeFile(tarPath, await bytes(writeLayer(treeAsChanges(src))));
    const listing = execFileSync('tar', ['-tf', tarPath], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(['dir/', 'dir/big.bin', 'dir/small.txt', 'dir/sub/', 'dir/sub/ln', 'hard.txt', long]);
    const out = await fresh('w-out');
    execFileSync('tar', ['-xpf', tarPath, '-C', out]);
    expect(await readFile(join(out, long), 'utf8')).toBe('long name');
    expect((await readFile(join(out, 'dir', 'big.bin'))).equals(await readFile(join(src, 'dir', 'big.bin')))).toBe(true);
    expect((await lstat(join(out, 'hard.txt'))).ino).toBe((await lstat(join(out, 'dir', 'small.txt'))).ino);
    expect((await lstat(join(out, 'dir', 'small.txt'))).mode & 0o7777).toBe(0o640);
  });

  it('writes whiteouts and opaque markers from a change list, in tree order', async () => {
    const src = await fresh('wh-src');
    await mkdir(join(src, 'd'));
    const changes = sortChanges([
      { kind: 'entry', path: 'd/x', source: join(src, 'd') },
      { kind: 'opaque', path: 'd' },
      { kind: 'delete', path: 'gone' },
      { kind: 'entry', path: 'd', source: join(src, 'd') },
      { kind: 'delete', path: 'a/b' },
    ]);
    const names = (await headers(writeLayer(changes))).map((h) => h.name);
    expect(names).toEqual(['a/.wh.b', 'd/', 'd/.wh..wh..opq', 'd/x/', '.wh.gone']);
    expect(names.indexOf('d/.wh..wh..opq')).toBe(names.indexOf('d/') + 1);
  });

  it('clamps mtimes and round-trips binary xattrs and large ids', async () => {
    const src = await fresh('clamp');
    await writeFile(join(src, 'new'), 'n');
    await writeFile(join(src, 'old'), 'o');
    await utimes(join(src, 'old'), new Date(1000_000), new Date(1000_000));
    const hs = await headers(writeLayer(treeAsChanges(src), { clampMtime: 2000 }));
    expect(hs.find((h) => h.name === 'new')!.mtime).toBe(2000);
    expect(hs.find((h) => h.name === 'old')!.mtime).toBe(1000);

    const value = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x3d]);
    const h: TarHeader = {
      name: 'x',
      type: 'file',
      mode: 0o644,
      uid: 3_000_000,
      gid: 0o7777777 + 5,
      size: 0,
      mtime: 1,
      linkname: '',
      devmajor: 0,
      devminor: 0,
      xattrs: new Map([['security.capability', value]]),
    };
    const back = await headers(Readable.from([encodeHeader(h), Buffer.alloc(1024)]));
    expect(back[0]!.xattrs.get('security.capability')!.equals(value)).toBe(true);
    expect(back[0]!.uid).toBe(3_000_000);
    expect(back[0]!.gid).toBe(0o7777777 + 5);
  });
});

describe('layer writer reusing an earlier tar', () => {
  it('gives the same bytes when entries come from the earlier tar, and says where each file entry lies', async () => {
    const dir = await fresh('reuse');
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'd', 'a.txt'), 'alpha');
    await writeFile(join(dir, 'd', 'b.bin'), Buffer.alloc(300_000, 3));
    await writeFile(join(dir, 'd', 'c.txt'), 'x'.repeat(5000));
    await writeFile(join(dir, 'e.txt'), '');
    const changes = async (): Promise<Change[]> => {
      const out: Change[] = [];
      for await (const c of treeAsChanges(dir, { xattrs: false })) out.push(c);
      return out;
    };
    const entries = new Map<string, [number, number]>();
    const first = await bytes(writeLayer(await changes(), { onFileEntry: (p, o, l) => entries.set(p, [o, l]) }));
    expect([...entries.keys()].sort()).toEqual(['d/a.txt', 'd/b.bin', 'd/c.txt', 'e.txt']);
    const file = join(tmp, 'first.tar');
    await writeFile(file, first);
    // Each recorded range is that file's whole entry: a header naming it, then its content.
    const [o, l] = entries.get('d/c.txt')!;
    expect(first.subarray(o, o + 5).toString()).toBe('d/c.t');
    expect(l).toBe(512 + 5120);

    // a.txt, b.bin and c.txt follow each other in the tar: one run read from the earlier tar.
    const reused = (await changes()).map((c): Change => {
      const at = c.kind === 'entry' ? entries.get(c.path) : undefined;
      return at && c.path !== 'e.txt'
        ? { kind: 'bytes', path: c.path, file, offset: at[0], length: at[1], size: Number(c.kind === 'entry' ? c.stat!.size : 0) }
        : c;
    });
    const again = new Map<string, [number, number]>();
    const second = await bytes(writeLayer(reused, { onFileEntry: (p, o2, l2) => again.set(p, [o2, l2]) }));
    expect(second.equals(first)).toBe(true);
    expect(again).toEqual(entries);

    // Written through reused buffers (each chunk taken before the next is made), and listed
    // from what the writer reports: the same bytes, the same listing as a parse gives.
    const listing = new LayerFilesBuilder();
    const chunks: Buffer[] = [];
    for await (const chunk of layerTarChunks(reused, { reuseBuffers: true, onMember: (n, t, size) => listing.add(n, t, size) }))
      chunks.push(Buffer.from(chunk));
    const third = Buffer.concat(chunks);
    expect(third.equals(first)).toBe(true);
    expect(listing.done(third.length)).toEqual(await listLayerTar(Readable.from([first])));
    const whole: Buffer[] = [];
    for await (const chunk of layerTarChunks(await changes(), { reuseBuffers: true })) whole.push(Buffer.from(chunk));
    expect(Buffer.concat(whole).equals(first)).toBe(true);
  });
});

describe('layer writer checks', () => {
  it('reads a file only while it is still the one a content key hashed (its stat given as `verify`)', async () => {
    const dir = await fresh('verify');
    const small = join(dir, 'small.txt');
    const large = join(dir, 'large.bin');
    await writeFile(small, 'hashed');
    await writeFile(large, Buffer.alloc(3 * 1024 * 1024, 7));
    const smallSt = await lstat(small, { bigint: true });
    const largeSt = await lstat(large, { bigint: true });
    const entries = (): Change[] => [
      { kind: 'entry', path: 'large.bin', source: large, stat: largeSt, verify: largeSt },
      { kind: 'entry', path: 'small.txt', source: small, stat: smallSt, verify: smallSt },
    ];
    const written = async (opts: WriteLayerOptions) => {
      for await (const _ of layerTarChunks(entries(), opts)) void _;
    };
    // Small files read on the writing thread, or by a pool's worker.
    const pool = new HashPool(1);
    const ways: WriteLayerOptions[] = [{ reuseBuffers: true }, { reuseBuffers: false }, { reuseBuffers: true, readFile: (p, n) => pool.readSmall(p, n) }];
    for (const opts of ways) await written(opts);
    // Same size, other bytes and time: the tar would not hold what the digest covered.
    await writeFile(small, 'edited');
    for (const opts of ways) await expect(written(opts)).rejects.toThrow(/small\.txt changed after its checksum was taken/);
    await writeFile(small, 'hashed');
    await utimes(small, new Date(Number(smallSt.atimeMs)), new Date(Number(smallSt.mtimeNs / 1_000_000n)));
    await writeFile(large, Buffer.alloc(3 * 1024 * 1024, 8));
    await expect(written({ reuseBuffers: true })).rejects.toThrow(/large\.bin changed after its checksum was taken/);
  });
});

describe('layer writer: small files read by a worker', () => {
  it("writes the same tar as reading them on its own thread, whatever the files' sizes", async () => {
    const dir = await fresh('read-elsewhere');
    const changes: Change[] = [];
    for (let i = 0; i < 300; i++) {
      const name = `f${String(i).padStart(3, '0')}`;
      // Empty, block-sized, odd-sized, and over the 64 KiB read-elsewhere limit.
      const size = i % 50 === 0 ? 0 : i % 37 === 0 ? 512 : i % 101 === 0 ? 70_000 : 3 * i + 1;
      await writeFile(join(dir, name), Buffer.alloc(size, i % 251));
      const st = await lstat(join(dir, name), { bigint: true });
      changes.push({ kind: 'entry', path: `ctx/${name}`, source: join(dir, name), stat: st, verify: st });
    }
    const pool = new HashPool(2);
    // With reuseBuffers a chunk is only good until the next is asked for: each is copied.
    const copied = async (src: AsyncIterable<Buffer>) => {
      const out: Buffer[] = [];
      for await (const c of src) out.push(Buffer.from(c));
      return Buffer.concat(out);
    };
    const plain = await copied(layerTarChunks(changes, { reuseBuffers: true }));
    const pooled = await copied(layerTarChunks(changes, { reuseBuffers: true, readFile: (p, n) => pool.readSmall(p, n) }));
    const made = pool.buffersMade;
    // Without reuseBuffers the writer reads on its own thread.
    const unbatched = await copied(layerTarChunks(changes, { readFile: (p, n) => pool.readSmall(p, n) }));
    expect(pool.buffersMade).toBe(made);
    expect(pooled.equals(plain)).toBe(true);
    expect(unbatched.equals(plain)).toBe(true);
    // 300 files in batches of at most 64, through a few buffers lent again and again.
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(5);
    expect((await headers(Readable.from([plain]))).length).toBe(300);
  });
});

describe("layer writer: entries written with a copy's metadata", () => {
  it('takes owner, mode and time from `written`, and writes each such file whole even when its source has several links', async () => {
    const dir = await fresh('written');
    const a = join(dir, 'a.txt');
    await writeFile(a, 'same inode');
    await chmod(a, 0o640);
    await link(a, join(dir, 'b.txt'));
    const st = await lstat(a, { bigint: true });
    const written = { uid: 1000, gid: 2000, mode: 0o755, mtime: 1_234_567 };
    const changes: Change[] = [
      { kind: 'entry', path: 'ctx/a.txt', source: a, stat: st, verify: st, written },
      { kind: 'entry', path: 'ctx/b.txt', source: join(dir, 'b.txt'), stat: st, verify: st, written },
    ];
    for (const reuseBuffers of [true, false]) {
      const hs = await headers(layerTarChunks(changes, { reuseBuffers }));
      expect(hs.map((h) => [h.name, h.type, h.uid, h.gid, h.mode, h.mtime, h.size])).toEqual([
        ['ctx/a.txt', 'file', 1000, 2000, 0o755, 1_234_567, 10],
        ['ctx/b.txt', 'file', 1000, 2000, 0o755, 1_234_567, 10],
      ]);
    }
    // Without `written`, the second name of the inode is a hard link to the first.
    const plain = await headers(layerTarChunks(changes.map((c) => ({ ...c, written: undefined })) as Change[]));
    expect(plain.map((h) => [h.type, h.mode])).toEqual([
      ['file', 0o640],
      ['hardlink', 0o640],
    ]);
  });
});

describe('layer reader', () => {
  it('rejects corrupt and truncated streams', async () => {
    const h = encodeHeader({
      name: 'f',
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 1000,
      mtime: 0,
      linkname: '',
      devmajor: 0,
      devminor: 0,
      xattrs: new Map(),
    });
    const truncated = Buffer.concat([h, Buffer.alloc(600, 1)]);
    await expect(headers(Readable.from([truncated]))).rejects.toThrow(TarFormatError);
    const bad = Buffer.from(h);
    bad[0] = 0x41;
    await expect(headers(Readable.from([bad, Buffer.alloc(1024)]))).rejects.toThrow(/checksum/);
  });

  it('reads what GNU tar writes (pax, xattrs, long names)', async () => {
    const src = await fresh('gnu-src');
    await mkdir(join(src, 'p'.repeat(90)));
    await writeFile(join(src, 'p'.repeat(90), 'q'.repeat(90)), 'deep');
    execFileSync('setfattr', ['-n', 'user.k', '-v', 'v1', join(src, 'p'.repeat(90), 'q'.repeat(90))]);
    const tarPath = join(tmp, 'gnu.tar');
    execFileSync('tar', ['--format=pax', '--xattrs', '--xattrs-include=user.*', '-cf', tarPath, '-C', src, '.']);
    const out = await fresh('gnu-out');
    await applyLayer(out, createReadStream(tarPath));
    const f = join(out, 'p'.repeat(90), 'q'.repeat(90));
    expect(await readFile(f, 'utf8')).toBe('deep');
    expect((await readXattrs(f)).get('user.k')?.toString()).toBe('v1');
  });
});

describe('diffs', () => {
  it('compares two trees', async () => {
    const lower = await fresh('tl');
    const upper = await fresh('tu');
    for (const d of [lower, upper]) {
      await mkdir(join(d, 'same'));
      await writeFile(join(d, 'same', 'f'), 'f');
      await utimes(join(d, 'same', 'f'), T, T);
      await utimes(join(d, 'same'), T, T);
    }
    await writeFile(join(lower, 'deleted'), 'x');
    await mkdir(join(lower, 'deldir'));
    await writeFile(join(lower, 'deldir', 'inner'), 'x');
    await writeFile(join(lower, 'was-file'), 'x');
    await mkdir(join(upper, 'was-file'));
    await writeFile(join(upper, 'was-file', 'c'), 'c');
    await writeFile(join(upper, 'added'), 'a');
    const changes = await collect(treeDiffChanges(lower, upper));
    expect(changes).toEqual(['entry added', 'delete deldir', 'delete deleted', 'entry was-file', 'entry was-file/c']);
  });

  it('reads an overlay upper dir: char 0/0 → whiteout, opaque xattr → opaque marker', async () => {
    if (!requirePrereqs({ root: true, commands: ['mknod', 'setfattr'] })) return;
    const upper = await fresh('upper');
    await mkdir(join(upper, 'd'));
    await writeFile(join(upper, 'd', 'kept'), 'k');
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(upper, 'd')]);
    execFileSync('mknod', [join(upper, 'gone'), 'c', '0', '0']);
    expect(await collect(overlayUpperChanges(upper))).toEqual(['entry d', 'opaque d', 'entry d/kept', 'delete gone']);
    const hs = await headers(writeLayer(overlayUpperChanges(upper)));
    expect(hs.map((h) => h.name)).toEqual(['d/', 'd/.wh..wh..opq', 'd/kept', '.wh.gone']);
    expect([...hs[0]!.xattrs.keys()]).toEqual([]); // overlay internals never leak into layers
  });
});

describe('apply', () => {
  it('in overlay mode writes whiteout devices and the opaque xattr', async () => {
    if (!requirePrereqs({ root: true, commands: ['mknod', 'setfattr'] })) return;
    const src = await fresh('ov-src');
    await mkdir(join(src, 'd'));
    await writeFile(join(src, 'd', 'n'), 'n');
    const changes: Change[] = [
      { kind: 'delete', path: 'a' },
      { kind: 'entry', path: 'd', source: join(src, 'd') },
      { kind: 'opaque', path: 'd' },
      { kind: 'entry', path: 'd/n', source: join(src, 'd', 'n') },
    ];
    const upper = await fresh('ov-upper');
    const r = await applyLayer(upper, writeLayer(changes), { mode: 'overlay' });
    expect(r).toMatchObject({ whiteouts: 1, opaques: 1 });
    const a = await lstat(join(upper, 'a'));
    expect(a.isCharacterDevice() && a.rdev === 0).toBe(true);
    expect((await readXattrs(join(upper, 'd'))).get('trusted.overlay.opaque')?.toString()).toBe('y');
    expect((await readdir(upper)).sort()).toEqual(['a', 'd']);
  });

  it('refuses overlay xattrs smuggled in a layer and skips device nodes when asked', async () => {
    const h = (name: string, extra: Partial<TarHeader>): Buffer =>
      encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...extra });
    const tar = Buffer.concat([
      h('dir', { type: 'dir', mode: 0o755, xattrs: new Map([['trusted.overlay.opaque', Buffer.from('y')]]) }),
      h('null', { type: 'char', devmajor: 1, devminor: 3 }),
      Buffer.alloc(1024),
    ]);
    const out = await fresh('smuggle');
    const r = await applyLayer(out, Readable.from([tar]), { devices: 'skip' });
    expect(r.skipped).toEqual(['null: device node (not running as root)']);
    expect((await readXattrs(join(out, 'dir'))).has('trusted.overlay.opaque')).toBe(false);
  });

  it('refuses a hardlink to a directory and a whiteout of the root', async () => {
    const h = (name: string, extra: Partial<TarHeader>): Buffer =>
      encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...extra });
    const out = await fresh('refuse');
    await expect(applyLayer(out, Readable.from([h('d', { type: 'dir' }), h('l', { type: 'hardlink', linkname: 'd' }), Buffer.alloc(1024)]))).rejects.toThrow(
      UnsafeLayerError,
    );
    await expect(applyLayer(out, Readable.from([h('.wh..', {}), Buffer.alloc(1024)]))).rejects.toThrow(UnsafeLayerError);
    expect(await readdir(out)).toEqual(['d']);
  });
});
