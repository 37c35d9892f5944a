// Shared helpers for the Dockerfile frontend tests: compile with a fake image resolver and dump
// the result in a stable, readable form.
import { buildContextSource, convertDockerfile, type ConvertResult } from '../../../frontends/dockerfile/index.ts';
import { definitionToJSON, normalizeImageRef, type Platform } from '../../../llb/index.ts';
import type { ImageConfig } from '../../../oci/index.ts';

export interface CompileOptions {
  readonly target?: string;
  readonly buildArgs?: Record<string, string>;
  readonly platform?: Platform;
  /** Use the fake resolver below instead of noResolve. */
  readonly resolve?: boolean;
}

export const fakeDigest = 'sha256:' + 'ab'.repeat(32);

/** Every image resolves to a small config; `onbuild-base` carries ONBUILD triggers. */
export async function fakeResolve(ref: string, platform: Platform): Promise<{ ref: string; config: ImageConfig }> {
  const config: ImageConfig = {
    architecture: platform.architecture ?? 'amd64',
    os: platform.os ?? 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
    config: { Env: ['PATH=/usr/bin:/bin', 'FROM_IMAGE=1'], WorkingDir: '/base', Cmd: ['sh'] },
    history: [{ created_by: 'base layer' }],
  };
  if (ref.includes('onbuild-base')) {
    config.config = { ...config.config, OnBuild: ['COPY trigger.txt /trigger.txt', 'RUN echo from trigger'] };
  }
  return { ref: `${normalizeImageRef(ref)}@${fakeDigest}`, config };
}

export function compile(filename: string, source: string, opts: CompileOptions = {}): Promise<ConvertResult> {
  return convertDockerfile(
    {
      filename,
      source,
      ...(opts.target !== undefined ? { target: opts.target } : {}),
      buildArgs: opts.buildArgs ?? {},
      platform: opts.platform ?? { os: 'linux', architecture: 'amd64' },
      buildPlatform: { os: 'linux', architecture: 'amd64' },
      ...(opts.resolve ? { resolveImageConfig: fakeResolve } : { noResolve: true }),
    },
    () => buildContextSource([]),
  );
}

/** The definition as JSON ops (terminal last) plus the image config: what golden files hold. */
export function dumpResult(r: ConvertResult): string {
  const ops = definitionToJSON(r.definition);
  const source = r.definition.source?.locations ?? {};
  const lines = Object.fromEntries(
    Object.entries(source).map(([digest, l]) => {
      const range = l.locations?.[0]?.ranges?.[0];
      return [digest, `${range?.start?.line ?? 0}-${range?.end?.line ?? 0}`];
    }),
  );
  return JSON.stringify({ ops, sourceLines: lines, image: r.image }, null, 2) + '\n';
}
