// The narrow door through which a frontend sees the world during one build: files of the
// context (confined to it), base-image configs, warnings, cancellation.
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Platform } from '../../llb/index.ts';
import type { FrontendContext, ResolvedImage } from '../../frontends/types.ts';

export interface FrontendContextOptions {
  readonly contextDir: string;
  readonly resolveImageConfig: (ref: string, platform: Platform) => Promise<ResolvedImage>;
  readonly warn: (message: string, location?: { file: string; line: number }) => void;
  readonly signal: AbortSignal;
}

export function createFrontendContext(opts: FrontendContextOptions): FrontendContext {
  const root = resolve(opts.contextDir);
  return {
    async readContextFile(path: string) {
      const abs = resolve(root, path);
      const rel = relative(root, abs);
      if (rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) return undefined;
      try {
        return await readFile(abs);
      } catch {
        return undefined;
      }
    },
    resolveImageConfig: opts.resolveImageConfig,
    warn: opts.warn,
    signal: opts.signal,
  };
}
