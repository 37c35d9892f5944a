// A two-platform busybox base (linux/amd64 and linux/arm64) pushed to a test registry as an OCI
// index: the host's static busybox, and Debian's busybox-static:arm64 unpacked from the .deb that
// scripts/setup.sh downloads into apt's archive directory.
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportToImageStore, parseOutputSpec, RegistryClient, type ExportableImage, type ImageOutput } from '../../oci/index.ts';
import { layerOf, tempRoot } from '../oci/helpers.ts';
import { busyboxRootfs } from './busybox.ts';

const exec = promisify(execFile);
const DEB_DIR = '/var/cache/apt/archives';

/** The arm64 busybox binary, unpacked once per .deb into the temp dir. */
export async function arm64Busybox(): Promise<string> {
  const deb = (await readdir(DEB_DIR).catch(() => [] as string[])).find((n) => /^busybox-static_.*_arm64\.deb$/.test(n));
  if (!deb) throw new Error(`no busybox-static arm64 .deb in ${DEB_DIR}: run scripts/setup.sh (it runs apt-get download busybox-static:arm64)`);
  const dir = join(tmpdir(), 'tsbuild-fixtures', `arm64-${deb.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  const binary = join(dir, 'bin', 'busybox');
  if (!(await stat(binary).catch(() => undefined))) {
    const staging = `${dir}.${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await exec('dpkg-deb', ['-x', join(DEB_DIR, deb), staging]);
    await rm(dir, { recursive: true, force: true });
    await exec('mv', [staging, dir]);
  }
  return binary;
}

async function tarOf(dir: string): Promise<Buffer> {
  const { stdout } = await exec('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout;
}

/** Pushes `name` (a reference on the test registry) as an index of amd64 and arm64 busybox images. */
export async function pushBusyboxIndex(name: string): Promise<void> {
  const store = await tempRoot('tsbuild-busybox-index-');
  try {
    const roots = [
      { architecture: 'amd64', dir: await busyboxRootfs() },
      { architecture: 'arm64', dir: await busyboxRootfs(await arm64Busybox()) },
    ];
    const images: ExportableImage[] = await Promise.all(
      roots.map(async (r) => ({
        layers: [layerOf(store.content, await tarOf(r.dir))],
        config: { platform: { os: 'linux', architecture: r.architecture }, config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] } },
      })),
    );
    const spec = parseOutputSpec(`type=registry,name=${name}`) as ImageOutput;
    await exportToImageStore({ content: store.content, images: store.images, registry: new RegistryClient() }, images, spec);
  } finally {
    await store.cleanup();
  }
}
