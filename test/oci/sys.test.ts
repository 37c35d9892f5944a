// The native module (oci/sys) against the tools it replaces: each case runs once with the module
// and once with TSBUILD_NATIVE=0 (mount, umount, mknod, getfattr and setfattr spawned), on fresh
// module instances, and both must give the same files, attributes and mounts.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';

type Sys = typeof import('../../oci/sys/index.ts');
type Layer = typeof import('../../oci/layer/index.ts');
type Mount = typeof import('../../executor/snapshot/mount.ts');
type HostMounts = typeof import('../../executor/runner/host-mounts.ts');

interface Impl {
  sys: Sys;
  layer: Layer;
  mount: Mount;
  host: HostMounts;
}

async function fresh(native: boolean): Promise<Impl> {
  vi.resetModules();
  const before = process.env.TSBUILD_NATIVE;
  process.env.TSBUILD_NATIVE = native ? '1' : '0';
  try {
    const sys = await import('../../oci/sys/index.ts');
    // Loaded now, while the variable says which way.
    sys.nativeSys();
    return {
      sys,
      layer: await import('../../oci/layer/index.ts'),
      mount: await import('../../executor/snapshot/mount.ts'),
      host: await import('../../executor/runner/host-mounts.ts'),
    };
  } finally {
    if (before === undefined) delete process.env.TSBUILD_NATIVE;
    else process.env.TSBUILD_NATIVE = before;
  }
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsbuild-sys-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const mounted = (p: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === p);

describe('the native module', () => {
  it('is built by setup and loads (TSBUILD_NATIVE=0 turns it off)', async () => {
    const on = await fresh(true);
    if (!on.sys.nativeSys() && process.env.TSBUILD_ALLOW_SKIP !== '1') {
      throw new Error('oci/sys/build/tsbuild-sys.node is missing or does not load: run scripts/setup.sh (it needs a C compiler)');
    }
    expect((await fresh(false)).sys.nativeSys()).toBeUndefined();
  });

  it('gives an errno-coded error', async () => {
    const sys = (await fresh(true)).sys.nativeSys();
    if (!sys) return;
    const e = (() => {
      try {
        sys.mknod(join(tmp, 'no/such/dir/fifo'), 0o010600, 0, 0);
      } catch (x) {
        return x as NodeJS.ErrnoException;
      }
    })();
    expect([e?.code, e?.syscall, e?.path]).toEqual(['ENOENT', 'mknod', join(tmp, 'no/such/dir/fifo')]);
    expect(e?.message).toMatch(/^ENOENT: No such file or directory, mknod /);
    await expect(sys.umount(tmp, 0)).rejects.toMatchObject({ code: 'EINVAL', syscall: 'umount' });
  });
});

describe.runIf(requirePrereqs({ root: true, commands: ['getfattr', 'setfattr', 'mknod', 'mount'] })).each([
  ['native', true],
  ['tools', false],
])('with %s', (name, native) => {
  let impl: Impl;
  let dir: string;
  beforeAll(async () => {
    impl = await fresh(native);
    if (native && !impl.sys.nativeSys()) throw new Error('the native module does not load');
    dir = join(tmp, name);
    await mkdir(dir);
  });

  it('reads the attributes of trees read together, each its own, names with odd bytes included', async () => {
    const odd = 'sp ace\nnew-line é\\';
    for (const t of ['a', 'ab']) {
      await mkdir(join(dir, t, 'sub', odd), { recursive: true });
      await writeFile(join(dir, t, 'sub', odd, 'f'), 'x');
      execFileSync('setfattr', ['-n', 'user.tree', '-v', t, join(dir, t, 'sub', odd, 'f')]);
      execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(dir, t, 'sub')]);
      execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff10', join(dir, t, 'sub')]);
    }
    const [a, ab] = await Promise.all(['a', 'ab'].map((t) => impl.layer.readXattrTree(join(dir, t))));
    for (const [t, m] of [['a', a!] as const, ['ab', ab!] as const]) {
      expect([...m.keys()].sort()).toEqual([join(dir, t, 'sub'), join(dir, t, 'sub', odd, 'f')]);
      expect(
        m
          .get(join(dir, t, 'sub', odd, 'f'))!
          .get('user.tree')!
          .toString(),
      ).toBe(t);
      const sub = m.get(join(dir, t, 'sub'))!;
      expect([sub.get('trusted.overlay.opaque')!.toString(), sub.get('user.bin')!.toString('hex')]).toEqual(['y', '00ff10']);
    }
    expect((await impl.layer.readXattrs(join(dir, 'a', 'sub'))).get('user.bin')!.toString('hex')).toBe('00ff10');
    expect((await impl.layer.readXattrs(join(dir, 'a'))).size).toBe(0);
    expect((await impl.layer.readXattrTree(join(dir, 'missing'))).size).toBe(0);
  });

  it('writes attributes that getfattr reads back, on a symlink itself not its target', async () => {
    const f = join(dir, 'w-file');
    await writeFile(f, '');
    const value = Buffer.from([0, 1, 2, 0xff]);
    const w = await impl.layer.writeXattrs([
      {
        path: f,
        xattrs: new Map([
          ['user.bytes', value],
          ['trusted.t', Buffer.from('yes')],
        ]),
      },
    ]);
    expect(w.skipped).toBe(0);
    const dump = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '--absolute-names', f]).toString();
    expect(dump).toContain('user.bytes=0x000102ff');
    expect(dump).toContain('trusted.t=0x796573');
    await expect(impl.layer.writeXattrs([{ path: join(dir, 'no-such-file'), xattrs: new Map([['user.x', Buffer.from('1')]]) }])).rejects.toThrow(
      /setting extended attributes failed/,
    );
  });

  it('makes FIFOs, devices and whiteouts', async () => {
    await impl.layer.makeNode(join(dir, 'fifo'), 'fifo');
    await impl.layer.makeNode(join(dir, 'null'), 'char', 1, 3);
    const fifo = lstatSync(join(dir, 'fifo'));
    const dev = lstatSync(join(dir, 'null'));
    expect([fifo.isFIFO(), fifo.mode & 0o777]).toEqual([true, 0o600]);
    expect([dev.isCharacterDevice(), impl.layer.devMajor(dev.rdev), impl.layer.devMinor(dev.rdev)]).toEqual([true, 1, 3]);
    await expect(impl.layer.makeNode(join(dir, 'fifo'), 'fifo')).rejects.toThrow(new RegExp(`^cannot create FIFO ${join(dir, 'fifo')}: `));
    const whiteouts = [join(dir, 'wh1'), join(dir, 'wh 2')];
    await impl.layer.makeWhiteoutDevices(whiteouts);
    for (const w of whiteouts) {
      const st = lstatSync(w);
      expect([st.isCharacterDevice(), Number(st.rdev)]).toEqual([true, 0]);
    }
  });

  it('mounts an overlay from paths relative to a directory, and unmounts it', async () => {
    const o = join(dir, 'ovl');
    for (const d of ['l1', 'l2', 'u', 'w', 'm']) await mkdir(join(o, d), { recursive: true });
    await writeFile(join(o, 'l1', 'low'), 'from l1');
    await writeFile(join(o, 'l2', 'low'), 'from l2');
    await impl.mount.mountOverlay(join(o, 'm'), { lowers: ['l2', 'l1'], upper: 'u', work: 'w', cwd: o });
    expect(mounted(join(o, 'm'))).toBe(true);
    expect(await readFile(join(o, 'm', 'low'), 'utf8')).toBe('from l2');
    await writeFile(join(o, 'm', 'new'), 'up');
    await impl.mount.unmount(join(o, 'm'));
    expect(mounted(join(o, 'm'))).toBe(false);
    expect(await readFile(join(o, 'u', 'new'), 'utf8')).toBe('up');
    // Not a mount point: nothing to do.
    await impl.mount.unmount(join(o, 'm'));
    await expect(impl.mount.mountOverlay(join(o, 'm'), { lowers: ['no-such-layer'], cwd: o, readonly: true })).rejects.toThrow();
    expect(mounted(join(o, 'm'))).toBe(false);
  });

  it('mounts a run rootfs and unmounts it lazily while it is busy', async () => {
    const o = join(dir, 'rootfs');
    for (const d of ['lower', 'upper', 'work', 'm']) await mkdir(join(o, d), { recursive: true });
    await writeFile(join(o, 'lower', 'f'), 'x');
    await impl.host.mountOverlay({ type: 'overlay', lowerdirs: [join(o, 'lower')], upperdir: join(o, 'upper'), workdir: join(o, 'work') }, join(o, 'm'));
    expect(await impl.host.mountsUnder(o)).toEqual([join(o, 'm')]);
    // A process with its working directory inside keeps the mount busy.
    const busy = execFileSync('sh', ['-c', `cd '${join(o, 'm')}' && (sleep 2 >/dev/null 2>&1 &) && echo started`]).toString();
    expect(busy.trim()).toBe('started');
    await impl.host.unmount(join(o, 'm'));
    expect(await impl.host.mountsUnder(o)).toEqual([]);
  });
});
