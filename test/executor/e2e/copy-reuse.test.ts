// A COPY of a build context into a new top-level directory reuses the unchanged files of its
// previous result as hard links (overlayfs), and copies everything else.
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copy, image, local, mkdir as mkdirAction, scratch, type State } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, storeBusybox, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['tar', 'getfattr'] });
const BASE = 'tsbuild.test/busybox:1';

describe.runIf(run)('COPY reuses its previous result', () => {
  let h: Harness;
  let ctxDir: string;
  const locals = () => ({ locals: { ctx: ctxDir } });

  beforeAll(async () => {
    ctxDir = await mkdtemp(join(tmpdir(), 'tsbuild-reuse-'));
    await writeFile(join(ctxDir, 'same.txt'), 'same');
    await writeFile(join(ctxDir, 'edited.txt'), 'v1');
    await mkdir(join(ctxDir, 'sub'));
    await writeFile(join(ctxDir, 'sub', 'mode.sh'), 'echo hi');
    await writeFile(join(ctxDir, 'sub', 'owner.txt'), 'owned');
    await writeFile(join(ctxDir, 'sub', 'kept.txt'), 'kept');
    h = await harness({ snapshotter: 'overlayfs', locals: { ctx: ctxDir } });
    await storeBusybox(h.root, BASE);
  });
  afterAll(async () => {
    await h?.close();
    await rm(ctxDir, { recursive: true, force: true });
  });

  // On scratch the result is one layer, read in place: inodes can be compared.
  const onScratch = (): State => scratch().file(copy(local('ctx'), '/', '/app', { copyDirContents: true, createDestPath: true }), { customName: 'COPY ctx' });

  async function files(b: Awaited<ReturnType<typeof build>>): Promise<Map<string, { ino: number; mode: number; uid: number; mtime: number; text: string }>> {
    const dir = await h.executor.readableDir(ok(b));
    try {
      const out = new Map<string, { ino: number; mode: number; uid: number; mtime: number; text: string }>();
      for (const rel of ['same.txt', 'edited.txt', 'sub/mode.sh', 'sub/owner.txt', 'sub/kept.txt']) {
        const p = join(dir.path, 'app', rel);
        const st = await stat(p);
        out.set(rel, { ino: st.ino, mode: st.mode & 0o7777, uid: st.uid, mtime: st.mtimeMs, text: await readFile(p, 'utf8') });
      }
      return out;
    } finally {
      await dir.release();
    }
  }

  test('unchanged files are linked, changed ones copied, the previous result untouched', async () => {
    const first = await build(h, onScratch());
    const before = await files(first);

    await writeFile(join(ctxDir, 'edited.txt'), 'v2');
    await chmod(join(ctxDir, 'sub', 'mode.sh'), 0o755);
    // The context reads as root's whatever its owner: an owner change alone changes the
    // file's digest (its header), so it is copied again.
    await chown(join(ctxDir, 'sub', 'owner.txt'), 1234, 1234);
    await h.reopen(locals());
    const second = await build(h, onScratch());
    expect(second.ran).toContain('COPY ctx');
    const after = await files(second);

    expect(after.get('same.txt')!.ino).toBe(before.get('same.txt')!.ino);
    expect(after.get('sub/kept.txt')!.ino).toBe(before.get('sub/kept.txt')!.ino);
    expect(after.get('edited.txt')!.ino).not.toBe(before.get('edited.txt')!.ino);
    expect(after.get('edited.txt')!.text).toBe('v2');
    expect(after.get('sub/mode.sh')!.ino).not.toBe(before.get('sub/mode.sh')!.ino);
    expect(after.get('sub/mode.sh')!.mode).toBe(0o755);
    expect(after.get('sub/owner.txt')!.ino).not.toBe(before.get('sub/owner.txt')!.ino);
    expect(after.get('sub/owner.txt')!.uid).toBe(0);

    // The first result still reads as it did.
    expect(await files(first)).toEqual(before);
  });

  test('a previous result that is gone is ignored', async () => {
    const memoDir = join(h.root, 'copy-reuse');
    const [name] = await readdir(memoDir);
    const memo = JSON.parse(await readFile(join(memoDir, name!), 'utf8')) as { snapshot: string };
    await writeFile(join(memoDir, name!), JSON.stringify({ ...memo, snapshot: 'committed-gone' }));
    const last = await files(await build(h, onScratch()));

    await writeFile(join(ctxDir, 'edited.txt'), 'v3');
    await h.reopen(locals());
    const b = await build(h, onScratch());
    expect(b.ran).toContain('COPY ctx');
    const now = await files(b);
    expect(now.get('edited.txt')!.text).toBe('v3');
    expect(now.get('same.txt')!.text).toBe('same');
    expect(now.get('same.txt')!.ino).not.toBe(last.get('same.txt')!.ino);
  });

  test('into a new directory under existing ones (WORKDIR then COPY): parents keep their metadata, files are reused', async () => {
    const base = image(BASE).file(mkdirAction('/srv/app', 0o750, { makeParents: true, chown: '1234:4321' }).mkfile('/srv/app/keep.txt', 0o644, 'base'));
    const g = () => base.file(copy(local('ctx'), '/', '/srv/app/src', { copyDirContents: true, createDestPath: true }), { customName: 'COPY nested' });
    ok(await build(h, g()));
    await writeFile(join(ctxDir, 'edited.txt'), 'v5');
    await h.reopen(locals());
    const b = await build(h, g());
    expect(b.ran).toContain('COPY nested');
    const dir = await h.executor.readableDir(ok(b));
    try {
      const app = await stat(join(dir.path, 'srv', 'app'));
      expect(app.mode & 0o7777).toBe(0o750);
      expect([app.uid, app.gid]).toEqual([1234, 4321]);
      expect(await readFile(join(dir.path, 'srv', 'app', 'keep.txt'), 'utf8')).toBe('base');
      expect(await readFile(join(dir.path, 'srv', 'app', 'src', 'edited.txt'), 'utf8')).toBe('v5');
      // Linked from the previous result's layer: one inode, two names.
      expect((await stat(join(dir.path, 'srv', 'app', 'src', 'same.txt'))).nlink).toBe(2);
      expect((await stat(join(dir.path, 'srv', 'app', 'src', 'edited.txt'))).nlink).toBe(1);
    } finally {
      await dir.release();
    }
  });

  test('on an image base the copy lands in its own directory and reuses as well', async () => {
    const g = () => image(BASE).file(copy(local('ctx'), '/', '/ctx', { copyDirContents: true, createDestPath: true }), { customName: 'COPY on image' });
    ok(await build(h, g()));
    await writeFile(join(ctxDir, 'edited.txt'), 'v4');
    await h.reopen(locals());
    const b = await build(h, g());
    expect(b.ran).toContain('COPY on image');
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'ctx', 'edited.txt'), 'utf8')).toBe('v4');
      expect(await readFile(join(dir.path, 'ctx', 'sub', 'kept.txt'), 'utf8')).toBe('kept');
      expect((await stat(join(dir.path, 'ctx', 'sub', 'mode.sh'))).mode & 0o777).toBe(0o755);
      // The base is still there under the copy.
      expect((await stat(join(dir.path, 'bin', 'busybox'))).isFile()).toBe(true);
    } finally {
      await dir.release();
    }
  });
});
