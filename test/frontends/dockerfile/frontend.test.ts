import { describe, expect, it } from 'vitest';
import { dockerfileFrontend, parseDockerignore } from '../../../frontends/dockerfile/index.ts';
import { decodeDefinition } from '../../../llb/index.ts';
import type { FrontendContext } from '../../../frontends/types.ts';
import { fakeResolve } from './support.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function fakeContext(files: Record<string, string>, resolved: string[] = []): FrontendContext {
  return {
    readContextFile: async (p) => (files[p] === undefined ? undefined : enc(files[p])),
    resolveImageConfig: async (ref, platform) => {
      resolved.push(ref);
      return fakeResolve(ref, platform);
    },
    warn: () => {},
    signal: new AbortController().signal,
  };
}

describe('dockerignore', () => {
  it('parses patterns like Docker', () => {
    expect(parseDockerignore('# c\n/node_modules\n  *.log  \n!keep.log\n./a/../b/\n\n.\n')).toEqual(['node_modules', '*.log', '!keep.log', 'b']);
  });
});

describe('dockerfileFrontend', () => {
  it('detects Dockerfiles by name or content', () => {
    expect(dockerfileFrontend.detect?.({ filename: 'app/Dockerfile', source: enc('') })).toBe(true);
    expect(dockerfileFrontend.detect?.({ filename: 'x.Dockerfile', source: enc('') })).toBe(true);
    expect(dockerfileFrontend.detect?.({ filename: 'recipe', source: enc('# comment\nFROM alpine\n') })).toBe(true);
    expect(dockerfileFrontend.detect?.({ filename: 'build.ts', source: enc('export default 1') })).toBe(false);
  });

  it('resolves only the reachable stages, applies .dockerignore, returns the image config', async () => {
    const resolved: string[] = [];
    const ctx = fakeContext({ 'Dockerfile.dockerignore': 'secret.txt\n', '.dockerignore': 'other\n' }, resolved);
    const source = 'FROM alpine AS a\nRUN echo a\nFROM debian AS b\nRUN echo b\nFROM busybox\nCOPY --from=a /x /x\nCOPY . /src\nENV K=v\n';
    const r = await dockerfileFrontend.build(ctx, {
      filename: 'Dockerfile',
      source: enc(source),
      buildArgs: {},
      platform: { os: 'linux', architecture: 'amd64' },
    });
    expect(resolved.sort()).toEqual(['docker.io/library/alpine:latest', 'docker.io/library/busybox:latest']);
    const ops = decodeDefinition(r.definition).ops;
    const local = ops.find((o) => o.op.source?.identifier === 'local://context');
    expect(local?.op.source?.attrs?.['local.excludepatterns']).toBe('["secret.txt"]');
    expect(ops.some((o) => o.op.source?.identifier?.includes('debian'))).toBe(false);
    expect(r.image?.config?.Env).toEqual(['PATH=/usr/bin:/bin', 'FROM_IMAGE=1', 'K=v']);
    // source maps point at the Dockerfile lines
    const infos = r.definition.source?.infos ?? [];
    expect(infos[0]?.filename).toBe('Dockerfile');
    const lines = Object.values(r.definition.source?.locations ?? {}).map((l) => l.locations?.[0]?.ranges?.[0]?.start?.line);
    expect(lines).toEqual(expect.arrayContaining([1, 2, 5, 6, 7]));
  });

  it('names vertices like BuildKit', async () => {
    const r = await dockerfileFrontend.build(fakeContext({}), {
      filename: 'Dockerfile',
      source: enc('FROM alpine\nFROM alpine\nWORKDIR /w\nRUN make\n'),
      buildArgs: {},
      platform: { os: 'linux', architecture: 'amd64' },
      noResolve: true,
    });
    const names = Object.values(r.definition.metadata ?? {})
      .map((m) => m.description?.['llb.customname'])
      .filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['[stage-1 1/3] FROM docker.io/library/alpine:latest', '[stage-1 2/3] WORKDIR /w', '[stage-1 3/3] RUN make']));
  });
});
