// Which frontend handles a build: `--frontend`, else the file's `# syntax=` line, else the file
// itself (a .ts program, a plugin's detect, or a Dockerfile by default).
import { dirname } from 'node:path';
import { detectFrontend, loadFrontend } from '../../frontends/driver.ts';
import type { Frontend } from '../../frontends/types.ts';

const builtins: Record<string, () => Promise<Frontend>> = {
  dockerfile: async () => (await import('../../frontends/dockerfile/index.ts')).dockerfileFrontend,
  typescript: async () => (await import('../../frontends/typescript/index.ts')).typescriptFrontend,
};

/** Loads the built-in frontends: a build server does it while it waits for its first build. */
export function preloadFrontends(): Promise<unknown> {
  return Promise.all(Object.values(builtins).map((load) => load()));
}

/** BuildKit's own Dockerfile frontend images: `# syntax=docker/dockerfile:1` means our built-in. */
function isDockerfileSyntax(spec: string): boolean {
  return spec === 'dockerfile' || /^(docker\.io\/)?docker\/dockerfile(-upstream)?([:@].*)?$/.test(spec);
}

/** The `# syntax=` directive of a build file's first lines, if any. */
export function syntaxDirective(source: Uint8Array): string | undefined {
  const head = new TextDecoder().decode(source.subarray(0, 4096)).replace(/^\uFEFF/, '');
  for (const line of head.split(/\r?\n/)) {
    const m = /^\s*#\s*syntax\s*=\s*(\S+)\s*$/i.exec(line);
    if (m) return m[1];
    if (!/^\s*#/.test(line) && line.trim() !== '') return undefined;
  }
  return undefined;
}

async function byName(spec: string, baseDir: string): Promise<Frontend> {
  if (isDockerfileSyntax(spec)) return builtins.dockerfile!();
  const builtin = builtins[spec];
  if (builtin) return builtin();
  return loadFrontend(spec, baseDir);
}

export interface FrontendChoice {
  readonly frontend: Frontend;
  /** How it was chosen, for messages. */
  readonly via: 'flag' | 'syntax' | 'detect' | 'default';
}

function mayBeProgram(file: string): boolean {
  return /\.m?ts$/.test(file);
}

export async function selectFrontend(opts: { file: string; source: Uint8Array; flag?: string; cwd: string }): Promise<FrontendChoice> {
  if (opts.flag) return { frontend: await byName(opts.flag, opts.cwd), via: 'flag' };
  const syntax = syntaxDirective(opts.source);
  if (syntax) return { frontend: await byName(syntax, dirname(opts.file)), via: 'syntax' };
  // Only a .ts/.mts file can be a build program (the TypeScript frontend's detect says the same);
  // deciding by name first keeps that frontend unloaded for Dockerfiles.
  if (mayBeProgram(opts.file)) {
    const typescript = await builtins.typescript!();
    const detected = detectFrontend([typescript], { filename: opts.file, source: opts.source });
    if (detected) return { frontend: detected, via: 'detect' };
  }
  return { frontend: await builtins.dockerfile!(), via: 'default' };
}
