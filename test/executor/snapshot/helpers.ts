import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readTar, readXattrs, type TarHeader } from '../../../oci/layer/index.ts';

/** A comparable description of a tree: type, mode, owner, mtime, content or target, xattrs. */
export async function describeTree(root: string, opts: { mtimes?: boolean; xattrs?: boolean } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(rel === '' ? root : join(root, rel))).sort()) {
      const p = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, p);
      const st = await lstat(abs);
      let d = `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (opts.mtimes && !st.isSymbolicLink() && !st.isDirectory()) d += ` t=${Math.floor(st.mtimeMs / 1000)}`;
      if (st.isFile()) d += ` ${JSON.stringify(await readFile(abs, 'utf8'))}`;
      if (st.isSymbolicLink()) d += ` -> ${await readlink(abs)}`;
      if (opts.xattrs && !st.isSymbolicLink()) {
        const x = await readXattrs(abs);
        for (const [k, v] of [...x].sort()) if (!k.startsWith('trusted.overlay.')) d += ` ${k}=${v.toString('hex')}`;
      }
      out[p] = d;
      if (st.isDirectory()) await visit(p);
    }
  };
  await visit('');
  return out;
}

export async function tarHeaders(stream: Readable | AsyncIterable<Buffer>): Promise<TarHeader[]> {
  const out: TarHeader[] = [];
  for await (const m of readTar(stream)) {
    out.push(m.header);
    for await (const _ of m.body()) void _;
  }
  return out;
}

export async function tarBytes(stream: Readable | AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}
