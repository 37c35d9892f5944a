// Small layers and roots for the oci tests, made with tar-stream directly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { ContentStore, ImageStore, tarLayerSource, type LayerSource } from '../../oci/index.ts';

export interface TarFile {
  name: string;
  content?: string;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
  mode?: number;
  mtime?: number; // seconds
}

export async function makeTar(files: readonly TarFile[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => void chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const f of files) {
    const type = f.type ?? 'file';
    const header = {
      name: f.name,
      type,
      mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date((f.mtime ?? 1_700_000_000) * 1000),
      uid: 0,
      gid: 0,
      ...(f.linkname !== undefined ? { linkname: f.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, f.content ?? '', (e) => (e ? reject(e) : resolve()));
      else pack.entry(header, (e) => (e ? reject(e) : resolve()));
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export function layerOf(store: ContentStore, tar: Buffer, description?: string): LayerSource {
  return tarLayerSource(store, { openTar: () => Readable.from([tar]), ...(description ? { description } : {}) });
}

export interface TempRoot {
  dir: string;
  content: ContentStore;
  images: ImageStore;
  cleanup(): Promise<void>;
}

export async function tempRoot(prefix = 'tsbuild-oci-'): Promise<TempRoot> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const content = new ContentStore(join(dir, 'content'));
  return { dir, content, images: new ImageStore(dir, content), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const amd64 = { os: 'linux', architecture: 'amd64' };
