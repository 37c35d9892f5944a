// The snapshot tree on both snapshotters: lifecycle, chains, diff/apply, whiteouts, opaque
// dirs, merge, diff, hardlinks, xattrs, ownership, usage.
import { execFileSync } from 'node:child_process';
import { appendFile, chmod, chown, link, lstat, lutimes, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotTree, type SnapshotterName } from '../../../executor/snapshot/index.ts';
import { readXattrs, writeLayer, type Change } from '../../../oci/layer/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { describeTree, tarBytes, tarHeaders } from './helpers.ts';

const T = new Date('2023-05-01T00:00:00Z');

function suite(name: SnapshotterName, needsRoot: boolean) {
  const enabled = requirePrereqs({ root: needsRoot, commands: ['getfattr', 'setfattr'] });
  describe.runIf(enabled)(`${name} snapshotter`, () => {
    let dir: string;
    let tree: SnapshotTree;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `tsbuild-snap-${name}-`));
      tree = await SnapshotTree.open(name, dir);
    });
    afterAll(async () => {
      await tree.close();
      await rm(dir, { recursive: true, force: true });
    });

    /** prepare → fill → commit, returning the committed key. */
    async function build(key: string, parent: string | undefined, fill: (root: string) => Promise<void>): Promise<string> {
      await tree.prepare(`${key}-active`, parent);
      await fill(await tree.activeDir(`${key}-active`));
      return tree.commit(`${key}-active`, key);
    }

    async function contents(key: string, opts?: { mtimes?: boolean; xattrs?: boolean }): Promise<Record<string, string>> {
      const r = await tree.readable(key);
      try {
        return await describeTree(r.path, opts);
      } finally {
        await r.release();
      }
    }

    it('prepares, commits, views and removes', async () => {
      const info = await tree.prepare('life-active');
      expect(info.kind).toBe('active');
      await expect(tree.prepare('life-active')).rejects.toThrow(/already exists/);
      const d = await tree.activeDir('life-active');
      await writeFile(join(d, 'hello.txt'), 'hi\n');
      expect((await tree.mounts('life-active'))[0]!.type).toBe('bind');
      const key = await tree.commit('life-active', 'life');
      expect(key).toBe('life');
      expect(await tree.stat('life-active')).toBeUndefined();
      const st = await tree.stat('life');
      expect(st?.kind).toBe('committed');
      expect(st?.layers).toHaveLength(1);
      await expect(tree.commit('life')).rejects.toThrow(/not active/);
      await expect(tree.mounts('life')).rejects.toThrow(/committed/);

      await tree.view('life-view', 'life');
      const mounts = await tree.mounts('life-view');
      expect(mounts).toHaveLength(1);
      expect(mounts[0]!.options.join(',')).toMatch(name === 'overlayfs' ? /lowerdir=/ : /\bro\b/);
      await expect(tree.remove('life')).rejects.toThrow(/based on it/);
      await tree.remove('life-view');
      expect(await contents('life')).toEqual({ 'hello.txt': '100000 644 0:0 "hi\\n"' });
      await tree.remove('life');
      expect(await tree.stat('life')).toBeUndefined();
      expect((await tree.list()).map((s) => s.key)).not.toContain('life');
    });

    it('stacks a parent chain and diffs a snapshot against its parent', async () => {
      const base = await build('chain-0', undefined, async (r) => {
        await mkdir(join(r, 'etc'));
        await writeFile(join(r, 'etc', 'a'), 'A');
        await writeFile(join(r, 'etc', 'b'), 'B');
        await mkdir(join(r, 'gone'));
        await writeFile(join(r, 'gone', 'deep'), 'x');
      });
      const top = await build('chain-1', base, async (r) => {
        await rm(join(r, 'etc', 'a'));
        await rm(join(r, 'gone'), { recursive: true });
        await writeFile(join(r, 'etc', 'b'), 'B2');
        await writeFile(join(r, 'new'), 'N');
      });
      const st = await tree.stat(top);
      expect(st?.parent).toBe(base);
      expect(st?.layers).toHaveLength(2);
      expect(st?.layers[0]).toEqual((await tree.stat(base))?.layers[0]);
      expect(Object.keys(await contents(top))).toEqual(['etc', 'etc/b', 'new']);

      const headers = await tarHeaders(tree.diff(top));
      const names = headers.map((h) => h.name);
      expect(names).toContain('etc/.wh.a');
      expect(names).toContain('.wh.gone');
      expect(names).toContain('etc/b');
      expect(names).toContain('new');
      expect(names.some((n) => n.startsWith('gone/'))).toBe(false);
      // Sorted: a directory's entries come right after it.
      expect(names.indexOf('etc/')).toBeLessThan(names.indexOf('etc/b'));
    });

    it('round-trips a chain through layer tars', async () => {
      const base = await build('rt-0', undefined, async (r) => {
        await mkdir(join(r, 'bin'), { mode: 0o755 });
        await writeFile(join(r, 'bin', 'tool'), '#!/bin/sh\n');
        await chmod(join(r, 'bin', 'tool'), 0o4755);
        await symlink('bin/tool', join(r, 'tool-link'));
        await writeFile(join(r, 'data'), Buffer.alloc(300_000, 7));
        for (const p of ['bin/tool', 'data', 'bin']) await utimes(join(r, p), T, T);
      });
      const top = await build('rt-1', base, async (r) => {
        await rm(join(r, 'data'));
        await writeFile(join(r, 'bin', 'other'), 'o');
        await utimes(join(r, 'bin', 'other'), T, T);
      });
      const chain = (await tree.stat(top))!.layers;
      let parent: string | undefined;
      for (const [i, layer] of chain.entries()) {
        parent = (await tree.applyTar(tree.layerTar(layer), parent, `rt-copy-${i}`)).key;
      }
      expect(await contents(parent!, { mtimes: true })).toEqual(await contents(top, { mtimes: true }));
      expect(Object.keys(await contents(parent!))).not.toContain('data');
      // Writing the same layer twice gives the same bytes.
      expect((await tarBytes(tree.layerTar(chain[1]!))).equals(await tarBytes(tree.layerTar(chain[1]!)))).toBe(true);
    });

    it('turns a replaced directory into an opaque marker and applies opaque markers', async () => {
      const base = await build('opq-0', undefined, async (r) => {
        await mkdir(join(r, 'd', 'sub'), { recursive: true });
        await writeFile(join(r, 'd', 'old'), '1');
        await writeFile(join(r, 'd', 'sub', 'old2'), '2');
        await writeFile(join(r, 'keep'), 'k');
      });
      const top = await build('opq-1', base, async (r) => {
        await rm(join(r, 'd'), { recursive: true });
        await mkdir(join(r, 'd'));
        await writeFile(join(r, 'd', 'new'), 'n');
      });
      expect(Object.keys(await contents(top))).toEqual(['d', 'd/new', 'keep']);
      const names = (await tarHeaders(tree.diff(top))).map((h) => h.name);
      if (name === 'overlayfs') expect(names).toContain('d/.wh..wh..opq');
      else expect(names).toEqual(expect.arrayContaining(['d/.wh.old', 'd/.wh.sub']));

      // Applying a layer with an opaque marker hides the lower children, both ways.
      const changes: Change[] = [
        { kind: 'entry', path: 'd', source: join(dir, 'src-d') },
        { kind: 'opaque', path: 'd' },
        { kind: 'entry', path: 'd/fresh', source: join(dir, 'src-fresh') },
      ];
      await mkdir(join(dir, 'src-d'));
      await writeFile(join(dir, 'src-fresh'), 'f');
      const applied = (await tree.applyTar(writeLayer(changes), base, 'opq-applied')).key;
      expect(Object.keys(await contents(applied))).toEqual(['d', 'd/fresh', 'keep']);
      const again = (await tarHeaders(tree.diff(applied))).map((h) => h.name);
      expect(again).toEqual(expect.arrayContaining(['d/.wh.old', 'd/.wh.sub', 'd/fresh']));
      expect(again).not.toContain('keep');

      // On an empty parent the opaque marker survives as such (overlay: the xattr in the layer dir).
      const alone = (await tree.applyTar(writeLayer(changes), undefined, 'opq-alone')).key;
      const names2 = (await tarHeaders(tree.diff(alone))).map((h) => h.name);
      expect(names2).toEqual(name === 'overlayfs' ? ['d/', 'd/.wh..wh..opq', 'd/fresh'] : ['d/', 'd/fresh']);
    });

    it("unpacks a layer onto a parent through the parent's symlinks and keeps its dir metadata", async () => {
      const base = await build('usr-0', undefined, async (r) => {
        await mkdir(join(r, 'usr', 'lib'), { recursive: true });
        await symlink('usr/lib', join(r, 'lib'));
        await mkdir(join(r, 'tmp'));
        await chmod(join(r, 'tmp'), 0o1777);
      });
      await writeFile(join(dir, 'src-so'), 'elf');
      const changes: Change[] = [
        { kind: 'entry', path: 'lib/x.so', source: join(dir, 'src-so') },
        { kind: 'entry', path: 'tmp/f', source: join(dir, 'src-so') },
      ];
      const top = (await tree.applyTar(writeLayer(changes), base, 'usr-1')).key;
      const c = await contents(top);
      expect(c['lib']).toBe('120000 777 0:0 -> usr/lib');
      expect(c['usr/lib/x.so']).toContain('"elf"');
      expect(c['tmp']).toBe('40000 1777 0:0');
      expect(c['tmp/f']).toContain('"elf"');
    });

    it('merges three states by concatenating their chains', async () => {
      const base = await build('m-base', undefined, async (r) => {
        await writeFile(join(r, 'shared'), 'base');
        await writeFile(join(r, 'x'), 'x0');
      });
      const a = await build('m-a', base, async (r) => {
        await writeFile(join(r, 'a'), 'A');
        await writeFile(join(r, 'x'), 'xA');
      });
      const b = await build('m-b', base, async (r) => {
        await rm(join(r, 'shared'));
        await writeFile(join(r, 'b'), 'B');
      });
      const c = await build('m-c', undefined, async (r) => {
        await writeFile(join(r, 'c'), 'C');
      });
      const merged = await tree.merge([a, b, c], 'm-merged');
      const st = await tree.stat(merged);
      const chains = await Promise.all([a, b, c].map(async (k) => (await tree.stat(k))!.layers));
      expect(st!.layers).toEqual(chains.flat());
      // b's base layer sits above a's change to x; b's whiteout removes shared.
      expect(await contents(merged)).toEqual({
        a: '100000 644 0:0 "A"',
        b: '100000 644 0:0 "B"',
        c: '100000 644 0:0 "C"',
        x: '100000 644 0:0 "x0"',
      });
      // A merged snapshot can be the parent of more work.
      const next = await build('m-next', merged, async (r) => {
        await writeFile(join(r, 'd'), 'D');
      });
      expect(Object.keys(await contents(next))).toEqual(['a', 'b', 'c', 'd', 'x']);
    });

    it('diffs two snapshots, reusing layers when the lower chain is a prefix', async () => {
      const base = await build('d-base', undefined, async (r) => {
        await writeFile(join(r, 'one'), '1');
      });
      const up = await build('d-up', base, async (r) => {
        await writeFile(join(r, 'two'), '2');
        await rm(join(r, 'one'));
      });
      const other = await build('d-other', base, async (r) => {
        await writeFile(join(r, 'three'), '3');
      });
      const reused = await tree.diffSnapshots(base, up, 'd-reused');
      expect((await tree.stat(reused))!.layers).toEqual((await tree.stat(up))!.layers.slice(1));
      expect((await tarHeaders(tree.diff(reused))).map((h) => h.name)).toEqual(['.wh.one', 'two']);

      const computed = await tree.diffSnapshots(other, up, 'd-computed');
      const layers = (await tree.stat(computed))!.layers;
      expect(layers).toHaveLength(1);
      expect((await tarHeaders(tree.diff(computed))).map((h) => h.name).sort()).toEqual(['.wh.one', '.wh.three', 'two']);
      // other + diff(other → up) has up's content.
      const rebuilt = await tree.merge([other, computed], 'd-rebuilt');
      expect(await contents(rebuilt)).toEqual(await contents(up));
    });

    it('applies, never lists, whiteouts in a directory no layer below holds (a layer read on its own)', async () => {
      const lower = await build('w-lower', undefined, async (r) => {
        await mkdir(join(r, 'a/b/c'), { recursive: true });
        await writeFile(join(r, 'a/b/c/gone'), 'g');
      });
      const upper = await build('w-upper', undefined, async (r) => {
        await mkdir(join(r, 'a/b/c'), { recursive: true });
        await writeFile(join(r, 'a/b/c/new'), 'n');
      });
      // A computed layer: a/b/c/new and a whiteout of a/b/c/gone, which it alone cannot hold.
      const computed = await tree.diffSnapshots(lower, upper, 'w-computed');
      expect((await tarHeaders(tree.diff(computed))).map((h) => h.name)).toContain('a/b/c/.wh.gone');
      expect(Object.keys(await contents(computed))).toEqual(['a', 'a/b', 'a/b/c', 'a/b/c/new']);
      const other = await build('w-other', undefined, async (r) => {
        await writeFile(join(r, 'o'), 'o');
      });
      const merged = await tree.merge([other, computed], 'w-merged');
      expect(Object.keys(await contents(merged))).toEqual(['a', 'a/b', 'a/b/c', 'a/b/c/new', 'o']);
      // A step on top sees the same through its own mount; on the lower, the whiteout applies.
      await build('w-next', merged, async (r) => {
        expect(await readdir(join(r, 'a/b/c'))).toEqual(['new']);
      });
      expect(await contents(await tree.merge([lower, computed], 'w-rebuilt'))).toEqual(await contents(upper));
    });

    it('keeps hardlinks, xattrs, ownership and modes', async () => {
      const base = await build('meta-0', undefined, async (r) => {
        await writeFile(join(r, 'f'), 'linked');
        await link(join(r, 'f'), join(r, 'g'));
        await writeFile(join(r, 'owned'), 'o');
        await chown(join(r, 'owned'), 1234, 5678);
        await chmod(join(r, 'owned'), 0o2750);
        await symlink('owned', join(r, 'sym'));
        await lutimes(join(r, 'sym'), T, T);
        execFileSync('setfattr', ['-n', 'user.note', '-v', '0x00ff10', join(r, 'f')]);
      });
      const headers = await tarHeaders(tree.diff(base));
      const g = headers.find((h) => h.name === 'g');
      expect(g?.type).toBe('hardlink');
      expect(g?.linkname).toBe('f');
      expect(
        headers
          .find((h) => h.name === 'f')
          ?.xattrs.get('user.note')
          ?.toString('hex'),
      ).toBe('00ff10');
      expect(headers.find((h) => h.name === 'owned')).toMatchObject({ uid: 1234, gid: 5678, mode: 0o2750 });

      const copy = (await tree.applyTar(tree.diff(base), undefined, 'meta-copy')).key;
      const r = await tree.readable(copy);
      try {
        expect((await lstat(join(r.path, 'f'))).ino).toBe((await lstat(join(r.path, 'g'))).ino);
        expect((await readXattrs(join(r.path, 'f'))).get('user.note')?.toString('hex')).toBe('00ff10');
        const o = await lstat(join(r.path, 'owned'));
        expect([o.uid, o.gid, o.mode & 0o7777]).toEqual([1234, 5678, 0o2750]);
        expect(await readFile(join(r.path, 'g'), 'utf8')).toBe('linked');
      } finally {
        await r.release();
      }
      expect(await contents(copy, { xattrs: true, mtimes: true })).toEqual(await contents(base, { xattrs: true, mtimes: true }));
    });

    it('accounts usage once per inode', async () => {
      const key = await build('usage', undefined, async (r) => {
        await writeFile(join(r, 'big'), Buffer.alloc(10_000, 1));
        await link(join(r, 'big'), join(r, 'big2'));
        await mkdir(join(r, 'd'));
        await writeFile(join(r, 'd', 'small'), 'abc');
      });
      expect(await tree.usage(key)).toEqual({ size: 10_003, inodes: 4 });
      await tree.prepare('usage-active', key);
      const d = await tree.activeDir('usage-active');
      await writeFile(join(d, 'more'), Buffer.alloc(500, 2));
      const u = await tree.usage('usage-active');
      // overlay: only the upper dir is this snapshot's own; native: the whole copy.
      expect(u.size).toBe(name === 'overlayfs' ? 500 : 10_503);
      await tree.remove('usage-active');
    });

    it('never lets an active snapshot change its parent, even when files are written in place', async () => {
      const base = await build('inplace-0', undefined, async (r) => {
        await writeFile(join(r, 'f'), 'original');
      });
      await tree.prepare('inplace-active', base);
      const d = await tree.activeDir('inplace-active');
      await appendFile(join(d, 'f'), '+more');
      expect(await readFile(join(d, 'f'), 'utf8')).toBe('original+more');
      expect(await contents(base)).toEqual({ f: '100000 644 0:0 "original"' });
      await tree.remove('inplace-active');
      expect(await contents(base)).toEqual({ f: '100000 644 0:0 "original"' });
    });

    it('gives views and mounts of an empty parent', async () => {
      await tree.view('empty-view');
      expect((await tree.mounts('empty-view'))[0]).toMatchObject({ type: 'bind', options: ['rbind', 'ro'] });
      await tree.remove('empty-view');
    });

    it('recovers on reopen: other snapshots stay usable', async () => {
      const key = await build('reopen', undefined, async (r) => {
        await writeFile(join(r, 'z'), 'z');
      });
      const again = await SnapshotTree.open(name, dir);
      expect((await again.stat(key))?.kind).toBe('committed');
      expect(await describeTree((await again.readable(key)).path)).toEqual({ z: '100000 644 0:0 "z"' });
    });

    it('removing every snapshot leaves no directory behind', async () => {
      let left = await tree.list();
      while (left.length > 0) {
        const before = left.length;
        for (const s of left) await tree.remove(s.key).catch(() => {}); // children first, over rounds
        left = await tree.list();
        expect(left.length).toBeLessThan(before);
      }
      expect(await readdir(join(dir, 'dirs'))).toEqual([]);
      expect((await readdir(join(dir, 'meta'))).filter((n) => !n.startsWith('.'))).toEqual([]);
    });
  });
}

suite('native', false);
suite('overlayfs', true);
