// Where OCI state lives: `$TSBUILD_ROOT` (default `${XDG_DATA_HOME:-~/.local/share}/tsbuild`),
// with blobs under `content/` and image names in `images.json`.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ContentStore } from './content-store.ts';
import { ImageStore } from './image-store.ts';

export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['TSBUILD_ROOT']) return env['TSBUILD_ROOT'];
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'tsbuild');
}

export interface OciStores {
  root: string;
  content: ContentStore;
  images: ImageStore;
}

export function openStores(root: string = defaultRoot()): OciStores {
  const content = new ContentStore(join(root, 'content'));
  return { root, content, images: new ImageStore(root, content) };
}
