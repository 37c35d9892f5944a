// One Dockerfile compiled for two platforms, as `--platform linux/amd64,linux/arm64` does: the
// stage on $BUILDPLATFORM marshals to the same ops (so the solver runs it once), the target stage
// differs per platform, the platform ARGs take each platform's values, and step names lead with
// the platform.
import { describe, expect, test } from 'vitest';
import { buildContextSource, convertDockerfile } from '../../../frontends/dockerfile/index.ts';
import { CUSTOM_NAME, decodeDefinition, type Platform } from '../../../llb/index.ts';
import { fakeResolve } from './support.ts';

const dockerfile = [
  'ARG BASE=busybox',
  'FROM --platform=$BUILDPLATFORM $BASE AS tools',
  'ARG BUILDARCH',
  'RUN echo tool-for-$BUILDARCH > /tool',
  'FROM $BASE',
  'ARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT',
  'COPY --from=tools /tool /tool',
  'RUN echo $TARGETPLATFORM $TARGETOS $TARGETARCH "$TARGETVARIANT" > /target',
  '',
].join('\n');

const amd64: Platform = { os: 'linux', architecture: 'amd64' };

function compileFor(platform: Platform) {
  return convertDockerfile(
    {
      filename: 'Dockerfile',
      source: dockerfile,
      buildArgs: {},
      platform,
      buildPlatform: amd64,
      multiPlatform: true,
      resolveImageConfig: fakeResolve,
    },
    () => buildContextSource([]),
  );
}

function execs(def: ReturnType<typeof decodeDefinition>) {
  return def.ops
    .filter((o) => o.op.exec)
    .map((o) => ({ digest: o.digest, name: o.metadata?.description?.[CUSTOM_NAME] ?? '', args: o.op.exec!.meta?.args ?? [], env: o.op.exec!.meta?.env ?? [] }));
}

describe('a Dockerfile compiled for two platforms', () => {
  test('the $BUILDPLATFORM stage is the same vertex in both; the target stages are not', async () => {
    const [a, b] = await Promise.all([compileFor(amd64), compileFor({ os: 'linux', architecture: 'arm64' })]);
    const ea = execs(decodeDefinition(a.definition));
    const eb = execs(decodeDefinition(b.definition));
    const toolA = ea.find((e) => e.args.join(' ').includes('tool-for'))!;
    const toolB = eb.find((e) => e.args.join(' ').includes('tool-for'))!;
    expect(toolA.digest).toBe(toolB.digest);
    expect(toolB.name).toBe('[linux/amd64 tools 3/3] RUN echo tool-for-$BUILDARCH > /tool');
    expect(toolB.env).toContain('BUILDARCH=amd64');

    const targetA = ea.find((e) => e.args.join(' ').includes('/target'))!;
    const targetB = eb.find((e) => e.args.join(' ').includes('/target'))!;
    expect(targetA.digest).not.toBe(targetB.digest);
    expect(targetB.name).toBe('[linux/arm64 stage-1 4/4] RUN echo $TARGETPLATFORM $TARGETOS $TARGETARCH "$TARGETVARIANT" > /target');
    expect(targetB.env).toEqual(expect.arrayContaining(['TARGETPLATFORM=linux/arm64', 'TARGETOS=linux', 'TARGETARCH=arm64', 'TARGETVARIANT=']));
    expect(targetA.env).toEqual(expect.arrayContaining(['TARGETPLATFORM=linux/amd64', 'TARGETARCH=amd64']));
    expect(b.image).toMatchObject({ architecture: 'arm64', os: 'linux' });
  });

  test('arm/v7 gives TARGETVARIANT and a platform with its variant', async () => {
    const r = await compileFor({ os: 'linux', architecture: 'arm', variant: 'v7' });
    const target = execs(decodeDefinition(r.definition)).find((e) => e.args.join(' ').includes('/target'))!;
    expect(target.env).toEqual(expect.arrayContaining(['TARGETPLATFORM=linux/arm/v7', 'TARGETARCH=arm', 'TARGETVARIANT=v7']));
    expect(target.name.startsWith('[linux/arm/v7 stage-1 ')).toBe(true);
    expect(r.image).toMatchObject({ architecture: 'arm', variant: 'v7' });
  });
});
