// A minimal root filesystem made from Debian's static busybox: the base image of tests that run
// real processes. Built once per busybox binary (the directory name carries the binary's hash) and
// shared by every test file; a concurrent builder loses the final rename harmlessly.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const BUSYBOX_BINARY = '/usr/bin/busybox';

/** Users and groups of the fixture, for tests that assert on them. */
export const busyboxUsers = {
  root: { uid: 0, gid: 0 },
  nobody: { uid: 65534, gid: 65534 },
  app: { uid: 1000, gid: 1000, group: 'app', supplementary: { name: 'staff', gid: 50 } },
} as const;

const passwd = ['root:x:0:0:root:/root:/bin/sh', 'app:x:1000:1000:app:/home/app:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', ''].join('\n');

const group = ['root:x:0:', 'staff:x:50:app', 'app:x:1000:', 'nogroup:x:65534:', ''].join('\n');

const memo = new Map<string, Promise<string>>();

/**
 * Path of the busybox rootfs directory (read-only by convention: copy or overlay it to write).
 * `binary` may be another architecture's busybox of the same version: the applet links are the
 * host busybox's list.
 */
export function busyboxRootfs(binaryPath = BUSYBOX_BINARY): Promise<string> {
  let p = memo.get(binaryPath);
  if (!p) memo.set(binaryPath, (p = build(binaryPath)));
  return p;
}

async function build(binaryPath: string): Promise<string> {
  let binary: Buffer;
  try {
    binary = await readFile(binaryPath);
  } catch {
    throw new Error(`${binaryPath} not found: install it with \`apt-get install busybox-static\``);
  }
  const key = createHash('sha256').update(binary).update(passwd).update(group).digest('hex').slice(0, 16);
  const base = join(tmpdir(), 'tsbuild-fixtures');
  const final = join(base, `busybox-rootfs-${key}`);
  if (await exists(join(final, 'bin', 'busybox'))) return final;

  await mkdir(base, { recursive: true });
  const staging = join(base, `.busybox-rootfs-${key}-${process.pid}-${Date.now()}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o755 });

  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'home/app', 'tmp', 'proc', 'sys', 'dev', 'var', 'run']) {
    await mkdir(join(staging, d), { recursive: true });
    await chmod(join(staging, d), 0o755);
  }
  await chmod(join(staging, 'root'), 0o700);
  await chmod(join(staging, 'tmp'), 0o1777);
  await chown(join(staging, 'home/app'), busyboxUsers.app.uid, busyboxUsers.app.gid);

  await copyFile(binaryPath, join(staging, 'bin/busybox'));
  await chmod(join(staging, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX_BINARY, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const rel of applets) {
    if (rel === 'bin/busybox') continue;
    const p = join(staging, rel);
    await mkdir(dirname(p), { recursive: true });
    await symlink('/bin/busybox', p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }

  await writeFile(join(staging, 'etc/passwd'), passwd, { mode: 0o644 });
  await writeFile(join(staging, 'etc/group'), group, { mode: 0o644 });
  await chmod(join(staging, 'etc/passwd'), 0o644);
  await chmod(join(staging, 'etc/group'), 0o644);

  try {
    await rename(staging, final);
  } catch (e) {
    // Another process finished first: its tree is identical.
    await rm(staging, { recursive: true, force: true });
    if (!(await exists(join(final, 'bin', 'busybox')))) throw e;
  }
  return final;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
