// A lone mkdir, mkfile or symlink on an overlay snapshot is written to the bare upper directory
// (parents copied up as the kernel would), and a mkdir of a directory the base has changes
// nothing. The layers must be what the copying snapshotter, which diffs whole trees, makes.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { extract } from 'tar-stream';
import { image, mkdir, mkfile, symlink, type State } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, storeBusybox, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['tar', 'getfattr'] });
const BASE = 'tsbuild.test/busybox:1';

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname: string | null;
}

/** The build's own (last) layer, entry by entry, without times. */
async function lastLayer(h: Harness, state: State): Promise<Entry[]> {
  const layers = await h.executor.layersOf(ok(await build(h, state)));
  const ex = extract();
  const out: Entry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (hd, body, next) => {
      out.push({ name: hd.name, type: hd.type ?? 'file', mode: hd.mode ?? 0, uid: hd.uid ?? 0, gid: hd.gid ?? 0, linkname: hd.linkname ?? null });
      body.on('end', next);
      body.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  layers.at(-1)!.openTar().pipe(ex);
  await done;
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe.runIf(run)('file ops written in place on overlayfs', () => {
  let overlay: Harness;
  let native: Harness;
  beforeAll(async () => {
    overlay = await harness({ snapshotter: 'overlayfs' });
    native = await harness({ snapshotter: 'native' });
    await storeBusybox(overlay.root, BASE);
    await storeBusybox(native.root, BASE);
  });
  afterAll(async () => {
    await overlay?.close();
    await native?.close();
  });

  const cases: [string, () => State][] = [
    ['mkdir -p of a new path under an existing directory', () => image(BASE).file(mkdir('/etc/app/conf.d', 0o750, { makeParents: true, chown: '1234:4321' }))],
    ['mkdir -p whose parents are all new', () => image(BASE).file(mkdir('/srv/www/site', 0o755, { makeParents: true }))],
    ['mkfile in an existing directory', () => image(BASE).file(mkfile('/etc/generated.conf', 0o600, 'x=1\n', { chown: '7:8' }))],
    ['symlink in an existing directory', () => image(BASE).file(symlink('/bin/busybox', '/bin/linked'))],
    ['mkdir of a directory the base has', () => image(BASE).file(mkdir('/etc', 0o700, { makeParents: true }))],
    [
      'mkdir of a directory an earlier step made',
      () =>
        image(BASE)
          .file(mkdir('/data', 0o755))
          .file(mkdir('/data', 0o700, { makeParents: true })),
    ],
  ];

  // Through the mount (the layers alone cannot tell whether /srv/app hides what is below): the
  // kernel also copies /srv up, which the copying snapshotter's tree diff leaves out.
  const underOpaque = () =>
    image(BASE)
      .run('mkdir -p /srv/app/data && touch /srv/app/data/x')
      .root()
      .run('rm -rf /srv/app && mkdir /srv/app')
      .root()
      .file(mkdir('/srv/app/data', 0o755, { makeParents: true }));

  for (const [name, state] of cases) {
    test(`${name}: the same layer as the copying snapshotter makes`, async () => {
      const mine = await lastLayer(overlay, state());
      expect(mine).toEqual(await lastLayer(native, state()));
    });
  }

  test('a mkdir under a directory made opaque above is made, empty', async () => {
    const dir = await overlay.executor.readableDir(ok(await build(overlay, underOpaque())));
    try {
      expect((await lstat(join(dir.path, 'srv', 'app', 'data'))).isDirectory()).toBe(true);
      expect(await readdir(join(dir.path, 'srv', 'app', 'data'))).toEqual([]);
    } finally {
      await dir.release();
    }
  });

  test("the merged view keeps the copied-up parent's metadata and contents", async () => {
    const b = ok(await build(overlay, image(BASE).file(mkfile('/etc/generated.conf', 0o600, 'x=1\n'))));
    const dir = await overlay.executor.readableDir(b);
    try {
      const base = ok(await build(overlay, image(BASE)));
      const before = await overlay.executor.readableDir(base);
      try {
        const [etc, was] = await Promise.all([lstat(join(dir.path, 'etc')), lstat(join(before.path, 'etc'))]);
        expect([etc.mode, etc.uid, etc.gid]).toEqual([was.mode, was.uid, was.gid]);
        expect((await lstat(join(dir.path, 'etc', 'passwd'))).isFile()).toBe(true);
      } finally {
        await before.release();
      }
    } finally {
      await dir.release();
    }
  });
});
