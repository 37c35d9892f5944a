// The `dockerfile` frontend object: reads .dockerignore through the context, compiles the
// Dockerfile to LLB and returns the definition with the image config of the result.
import { local, type State } from '../../llb/index.ts';
import type { Frontend, FrontendContext, FrontendInput, FrontendResult } from '../types.ts';
import { convertDockerfile } from './convert/convert.ts';
import { parseDockerignore } from './convert/dockerignore.ts';
import { detectSyntax } from './parser/index.ts';

const dockerfileName = /(^|[\\/])(Dockerfile|Containerfile)([.-][^\\/]*)?$|\.(Dockerfile|Containerfile)$/i;

/** `<Dockerfile>.dockerignore` next to the Dockerfile wins over the context's `.dockerignore`. */
async function contextExcludes(ctx: FrontendContext, filename: string): Promise<string[]> {
  const candidates = [`${filename.replace(/^\.\//, '')}.dockerignore`, '.dockerignore'];
  for (const c of candidates) {
    if (c.startsWith('/') && c !== '.dockerignore') continue;
    const bytes = await ctx.readContextFile(c);
    if (bytes) return parseDockerignore(new TextDecoder().decode(bytes));
  }
  return [];
}

export function buildContextSource(excludes: readonly string[]): State {
  return local('context', {
    ...(excludes.length ? { exclude: excludes } : {}),
    sharedKeyHint: 'context',
    customName: '[internal] load build context',
  });
}

export const dockerfileFrontend: Frontend = {
  name: 'dockerfile',

  detect(input: Pick<FrontendInput, 'filename' | 'source'>): boolean {
    if (dockerfileName.test(input.filename)) return true;
    const head = new TextDecoder().decode(input.source.subarray(0, 4096));
    const syntax = detectSyntax(head);
    if (syntax !== undefined) return /dockerfile/i.test(syntax);
    return /^\s*FROM\s+\S/im.test(head.replace(/^\s*#.*$/gm, ''));
  },

  async build(ctx: FrontendContext, input: FrontendInput): Promise<FrontendResult> {
    // Messages name the Dockerfile as the context sees it (`Dockerfile:3: …`), as BuildKit does.
    const filename = input.contextName ?? input.filename;
    const excludes = await contextExcludes(ctx, filename);
    const result = await convertDockerfile(
      {
        filename,
        source: new TextDecoder().decode(input.source),
        ...(input.target !== undefined ? { target: input.target } : {}),
        buildArgs: input.buildArgs,
        platform: input.platform,
        ...(input.buildPlatform ? { buildPlatform: input.buildPlatform } : {}),
        ...(input.multiPlatform ? { multiPlatform: true } : {}),
        ...(input.noResolve ? { noResolve: true } : {}),
        ...(input.capabilities?.merge === false ? { mergeOp: false } : {}),
        resolveImageConfig: (ref, platform) => ctx.resolveImageConfig(ref, platform),
        warn: (message, location) => ctx.warn(message, location),
      },
      () => buildContextSource(excludes),
    );
    for (const w of result.ast.warnings) ctx.warn(w.message, { file: filename, line: w.line });
    return { state: result.state, definition: result.definition, image: result.image };
  },
};
