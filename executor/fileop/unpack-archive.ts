// ADD's archive behaviour: a local source that is a tar (plain, gzip, bzip2, xz or zstd) is
// extracted into the destination directory instead of copied. Every entry is placed as if the
// destination were the root of a chroot: names are cleaned of `..`, parents are resolved with
// symlinks confined to the destination, hard links must point inside it, and an existing path is
// replaced rather than written through. Entry owners, modes and times come from the archive
// unless a chown is given.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { link, lstat, lutimes, chmod, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { Header } from 'tar-stream';
import { makeNode, runTool } from '../../oci/index.ts';
import type { Owner } from './owner.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { mkdirAll, setOwner } from './file-meta.ts';
import { FileOpError } from './errors.ts';

type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

function detectCompression(head: Uint8Array): Compression {
  const b = (i: number) => head[i] ?? -1;
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip';
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) return 'bzip2';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00) return 'xz';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  return 'none';
}

/** The file's bytes, decompressed. */
function decompressed(file: string, compression: Compression): Readable {
  const raw = createReadStream(file);
  switch (compression) {
    case 'none':
      return raw;
    case 'gzip':
      return raw.pipe(zlib.createGunzip());
    case 'zstd':
      return raw.pipe(zlib.createZstdDecompress());
    case 'bzip2':
    case 'xz': {
      const child = spawn(compression, ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const out = child.stdout;
      child.on('error', (err) => out.destroy(err));
      child.on('exit', (code) => {
        if (code !== 0 && code !== null) out.destroy(new FileOpError('io', `${compression} -dc exited with code ${code}`));
      });
      raw.on('error', (err) => out.destroy(err));
      raw.pipe(child.stdin).on('error', () => {});
      out.on('close', () => raw.destroy());
      return out;
    }
  }
}

async function readHead(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let len = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      len += (chunk as Buffer).length;
      if (len >= n) break;
    }
  } catch {
    // A stream that fails to decompress is simply not an archive.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

function isTarHeader(block: Buffer): boolean {
  if (block.length < 512 || block.every((x) => x === 0)) return false;
  const field = block
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return parseInt(field, 8) === sum;
}

async function hasCommand(cmd: string): Promise<boolean> {
  return (await runTool('sh', ['-c', `command -v ${cmd}`], { allowFailure: true })).code === 0;
}

/**
 * The compression of a regular file that holds a tar archive, or undefined when it is not one
 * (then ADD copies it as it is).
 */
export async function archiveCompression(file: string): Promise<Compression | undefined> {
  let head: Buffer;
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if ((compression === 'bzip2' || compression === 'xz') && !(await hasCommand(compression))) {
    throw new FileOpError(
      'unsupported',
      `cannot unpack ${compression} archive: the "${compression}" command is not installed (apt-get install ${compression === 'xz' ? 'xz-utils' : 'bzip2'})`,
    );
  }
  return isTarHeader(await readHead(decompressed(file, compression), 512)) ? compression : undefined;
}

/** Extracts `archive` (host path) into `destDir` (host path of an existing directory). */
export async function extractArchive(archive: string, compression: Compression, destDir: string, owner: Owner | undefined): Promise<void> {
  // tar-stream (and its dependencies) load only when a tar is written: most builds never do.
  const { extract: tarExtract } = await import('tar-stream');
  const ex = tarExtract();
  const feeding = pipeline(decompressed(archive, compression), ex);
  const dirTimes: Array<[string, Date]> = [];
  try {
    for await (const entry of ex) {
      await placeEntry(destDir, entry.header, entry as unknown as AsyncIterable<Uint8Array>, owner, dirTimes);
      entry.resume();
    }
    await feeding;
  } catch (err) {
    ex.destroy();
    await feeding.catch(() => {});
    if (err instanceof FileOpError) throw err;
    const msg = (err as Error).message;
    throw new FileOpError('invalid', `cannot unpack archive: ${msg}`);
  }
  // Directory times last: writing their entries changed them.
  for (const [dir, time] of dirTimes.reverse()) await utimes(dir, time, time);
}

async function placeEntry(
  destDir: string,
  h: Header,
  body: AsyncIterable<Uint8Array>,
  owner: Owner | undefined,
  dirTimes: Array<[string, Date]>,
): Promise<void> {
  const name = posix.join('/', h.name);
  if (name === '/') return;
  const parent = await resolveInRoot(destDir, posix.dirname(name));
  await mkdirAll(parent, 0o755, owner);
  const host = join(parent, basename(name));

  let existing;
  try {
    existing = await lstat(host);
  } catch {
    existing = undefined;
  }
  if (existing && !(existing.isDirectory() && h.type === 'directory')) await rm(host, { recursive: true, force: true });

  const mode = h.mode & 0o7777;
  switch (h.type) {
    case 'directory':
      if (!existing?.isDirectory()) await mkdir(host, { mode: 0o700 });
      break;
    case 'file':
    case 'contiguous-file': {
      const fh = await open(host, 'wx', 0o600);
      try {
        for await (const chunk of body) await fh.write(chunk);
      } finally {
        await fh.close();
      }
      break;
    }
    case 'symlink':
      await symlink(h.linkname, host);
      break;
    case 'link': {
      const target = await resolveInRoot(destDir, posix.join('/', h.linkname), { followFinal: false });
      const st = await lstat(target).catch(() => undefined);
      if (!st || st.isDirectory())
        throw new FileOpError('invalid', `cannot unpack archive: hard link ${name} points to ${h.linkname}, which is not a file in the archive`);
      await link(target, host);
      return; // shares the target's inode and metadata
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      await makeNode(host, h.type === 'fifo' ? 'fifo' : h.type === 'block-device' ? 'block' : 'char', h.devmajor ?? 0, h.devminor ?? 0);
      break;
    }
    default:
      return;
  }
  const uid = owner?.uid ?? h.uid;
  const gid = owner?.gid ?? h.gid;
  if (h.type === 'symlink') {
    await setOwner(host, uid, gid, true);
    await lutimes(host, h.mtime, h.mtime);
    return;
  }
  await setOwner(host, uid, gid);
  await chmod(host, mode);
  if (h.type === 'directory') dirTimes.push([host, h.mtime]);
  else await utimes(host, h.mtime, h.mtime);
}

/** The directory an archive is unpacked into, created like copy's destination directories. */
export async function prepareUnpackDir(destRoot: string, dest: string, owner: Owner | undefined, time: number | undefined): Promise<string> {
  const host = await resolveInRoot(destRoot, dest);
  await mkdirAll(host, 0o755, owner, time);
  return host;
}
