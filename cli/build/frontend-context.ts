// The narrow door through which a frontend sees the world during one build: files of the
// context (confined to it), base-image configs, warnings, cancellation.
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Platform } from '../../llb/index.ts';
import type { FrontendContext, ResolvedImageConfig } from '../../frontends/types.ts';

export interface FrontendContextOptions {
  readonly contextDir: string;
  readonly resolveImageConfig: (ref: string, platform: Platform) => Promise<ResolvedImageConfig>;
  readonly warn: (message: string, location?: { file: string; line: number }) => void;
  readonly signal: AbortSignal;
}

export interface RecordingFrontendContext extends FrontendContext {
  /**
   * Every context file the frontend asked for, found or not (absolute paths): the build
   * description depends on them, since creating a missing one changes what it reads too.
   */
  filesRead(): string[];
}

export function createFrontendContext(opts: FrontendContextOptions): RecordingFrontendContext {
  const root = resolve(opts.contextDir);
  const read = new Set<string>();
  return {
    filesRead: () => [...read],
    async readContextFile(path: string) {
      const abs = resolve(root, path);
      const rel = relative(root, abs);
      if (rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) return undefined;
      read.add(abs);
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
