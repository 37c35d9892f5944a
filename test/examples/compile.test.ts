// Every example compiles offline (no registry, no base-image resolution) to a valid definition.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDefinition, hostPlatform } from '../../llb/index.ts';
import { dockerfileFrontend } from '../../frontends/index.ts';
import { typescriptFrontend } from '../../frontends/typescript/index.ts';
import type { Frontend, FrontendContext } from '../../frontends/types.ts';

const examples = resolve(import.meta.dirname, '../../examples');

function offlineContext(dir: string): FrontendContext {
  return {
    readContextFile: (p) => readFile(join(dir, p)).catch(() => undefined),
    resolveImageConfig: () => Promise.reject(new Error('offline')),
    warn: () => {},
    signal: new AbortController().signal,
  };
}

async function compile(frontend: Frontend, file: string) {
  const dir = resolve(examples, file, '..');
  const result = await frontend.build(offlineContext(dir), {
    filename: join(examples, file),
    source: await readFile(join(examples, file)),
    buildArgs: {},
    platform: hostPlatform(),
    noResolve: true,
  });
  const decoded = decodeDefinition(result.definition);
  const sources = decoded.ops.map((o) => o.op.source?.identifier).filter((s): s is string => s !== undefined);
  return { result, decoded, sources };
}

describe('examples compile offline', () => {
  it.each([
    ['app/build.ts', typescriptFrontend],
    ['app/Dockerfile', dockerfileFrontend],
    ['node-app/build.ts', typescriptFrontend],
    ['node-app/Dockerfile', dockerfileFrontend],
  ] as const)('%s', async (file, frontend) => {
    const { decoded, sources } = await compile(frontend, file);
    expect(decoded.head).toBeDefined();
    expect(sources).toContain('local://context');
    expect(decoded.ops.some((o) => o.op.exec !== undefined)).toBe(true);
  });

  it('hello/build.ts', async () => {
    const { decoded, sources } = await compile(typescriptFrontend, 'hello/build.ts');
    expect(sources).toEqual(['docker-image://docker.io/library/busybox:latest']);
    expect(decoded.ops.some((o) => o.op.merge !== undefined)).toBe(true);
  });

  it('the node example names its public base and keeps the cache mount out of the layers', async () => {
    for (const file of ['node-app/build.ts', 'node-app/Dockerfile']) {
      const { decoded, sources } = await compile(file.endsWith('.ts') ? typescriptFrontend : dockerfileFrontend, file);
      expect(sources).toContain('docker-image://docker.io/library/node:24-alpine');
      const run = decoded.ops.find((o) => o.op.exec?.meta?.args?.join(' ').includes('npm install'));
      expect(run?.op.exec?.mounts?.some((m) => m.dest === '/root/.npm' && m.mountType === 3 && m.cacheOpt?.id === 'npm')).toBe(true);
    }
  });

  it('the app example as build.ts and as Dockerfile produce the same image config', async () => {
    const ts = await compile(typescriptFrontend, 'app/build.ts');
    const df = await compile(dockerfileFrontend, 'app/Dockerfile');
    for (const key of ['Cmd', 'WorkingDir', 'ExposedPorts'] as const) {
      expect(ts.result.image?.config?.[key]).toEqual(df.result.image?.config?.[key]);
    }
    expect(ts.result.image?.config?.Env).toContain('APP_ENV=production');
    expect(df.result.image?.config?.Env).toContain('APP_ENV=production');
  });
});
