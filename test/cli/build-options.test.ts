import { describe, expect, it } from 'vitest';
import { buildUsage, parseBuildArgs } from '../../cli/build/build-options.ts';
import { splitCsv } from '../../oci/index.ts';
import { UsageError } from '../../cli/errors.ts';

const parse = (...argv: string[]) => {
  const r = parseBuildArgs(argv, { FROM_ENV: 'env-value' });
  if (r.help) throw new Error('unexpected help');
  return r;
};

const usageError = (argv: string[], message: RegExp) => {
  let error: unknown;
  try {
    parseBuildArgs(argv, {});
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).toContain("See 'tsbuild build --help'.");
};

describe('build options', () => {
  it('has defaults that need nothing but the context', () => {
    expect(parse('.')).toEqual({
      help: false,
      context: '.',
      file: undefined,
      tags: [],
      target: undefined,
      buildArgs: {},
      outputs: [],
      cacheFrom: [],
      cacheTo: [],
      progress: 'auto',
      noCache: false,
      pull: false,
      secrets: [],
      ssh: [],
      platforms: [],
      network: 'default',
      labels: {},
      iidfile: undefined,
      metadataFile: undefined,
      maxParallelism: undefined,
      quiet: false,
      watch: false,
      explain: false,
      checkBase: false,
      failOnWaste: undefined,
      locals: {},
      frontend: undefined,
      noResolve: false,
      debug: false,
    });
  });

  it('--check-base, and --fail-on-waste as a ratio, a percentage or bytes', () => {
    expect(parse('--check-base', '.').checkBase).toBe(true);
    expect(parse('--fail-on-waste', '0.25', '.').failOnWaste).toEqual({ kind: 'ratio', ratio: 0.25 });
    expect(parse('--fail-on-waste', '150%', '.').failOnWaste).toEqual({ kind: 'ratio', ratio: 1.5 });
    expect(parse('--fail-on-waste', '10MB', '.').failOnWaste).toEqual({ kind: 'bytes', bytes: 10_000_000 });
    expect(parse('--fail-on-waste', '1.5KiB', '.').failOnWaste).toEqual({ kind: 'bytes', bytes: 1536 });
    usageError(['--fail-on-waste', '3', '.'], /invalid --fail-on-waste "3": a bare number above 1/);
    usageError(['--fail-on-waste', '3 parsecs', '.'], /unknown unit "parsecs"/);
    usageError(['--fail-on-waste', 'lots', '.'], /invalid --fail-on-waste "lots": not a number/);
  });

  it('requires exactly one context', () => {
    usageError([], /requires exactly 1 argument/);
    usageError(['a', 'b'], /requires exactly 1 argument, got 2: a b/);
    expect(parse('-').context).toBe('-');
  });

  it('-h and --help win over everything else', () => {
    expect(parseBuildArgs(['-h'])).toEqual({ help: true });
    expect(parseBuildArgs(['--help', '--network', 'bogus'])).toEqual({ help: true });
  });

  it('refuses unknown flags, missing values, and values on switches', () => {
    usageError(['--bogus', '.'], /^unknown flag: --bogus/);
    usageError(['.', '-t'], /^flag needs an argument: --tag/);
    usageError(['--no-cache=yes', '.'], /^flag --no-cache takes no value/);
  });

  it('-f/--file and --target', () => {
    expect(parse('-f', 'ci/Dockerfile', '.').file).toBe('ci/Dockerfile');
    expect(parse('--file=build.ts', '--target', 'test', '.')).toMatchObject({ file: 'build.ts', target: 'test' });
    usageError(['--file=', '.'], /--file needs a non-empty value/);
  });

  it('-t/--tag is repeatable and must be a valid reference', () => {
    expect(parse('-t', 'app', '--tag', 'localhost:5000/team/app:1.2', '-t', 'app@sha256:' + 'a'.repeat(64), '.').tags).toEqual([
      'app',
      'localhost:5000/team/app:1.2',
      'app@sha256:' + 'a'.repeat(64),
    ]);
    usageError(['-t', 'App', '.'], /invalid tag "App": invalid reference format: repository name must be lowercase/);
    usageError(['-t', 'a b', '.'], /invalid tag "a b"/);
    usageError(['-t', 'app:', '.'], /invalid tag "app:"/);
  });

  it('--build-arg K=V, and K alone from the environment (skipped when unset)', () => {
    expect(parse('--build-arg', 'A=1', '--build-arg', 'B=x=y', '--build-arg', 'FROM_ENV', '--build-arg', 'UNSET', '--build-arg', 'E=', '.').buildArgs).toEqual({
      A: '1',
      B: 'x=y',
      FROM_ENV: 'env-value',
      E: '',
    });
    usageError(['--build-arg', '=1', '.'], /invalid --build-arg "=1"/);
  });

  it('-o/--output keeps the raw spec and validates its type', () => {
    const [a, b, c, d] = parse('-o', 'type=local,dest=out', '--output', 'type=image,"name=a,b",push=true', '-o', '-', '-o', './dir', '.').outputs;
    expect(a).toEqual({ raw: 'type=local,dest=out', type: 'local', attrs: { type: 'local', dest: 'out' } });
    expect(b).toEqual({ raw: 'type=image,"name=a,b",push=true', type: 'image', attrs: { type: 'image', name: 'a,b', push: 'true' } });
    expect(c).toEqual({ raw: '-', type: 'tar', attrs: { type: 'tar', dest: '-' } });
    expect(d).toEqual({ raw: './dir', type: 'local', attrs: { type: 'local', dest: './dir' } });
    expect(parse('-o', 'dest=out', '.').outputs[0]?.type).toBe('local');
    usageError(['-o', 'type=zip,dest=x', '.'], /unknown type "zip" \(use one of local, tar, oci, docker, image, registry\)/);
    usageError(['-o', 'push=true', '.'], /missing type=/);
    usageError(['-o', 'type=local', '.'], /type=local needs dest=DIR/);
    usageError(['-o', 'type=registry', '.'], /type=registry needs name=REFERENCE/);
    usageError(['-o', 'type=tar,"dest=x', '.'], /unterminated quote/);
    usageError(['-o', 'type=tar,oops', '.'], /field "oops" is not KEY=VALUE/);
  });

  it('splits csv with quotes like docker', () => {
    expect(splitCsv('a=1,"b=x,y",c="q""uote"')).toEqual(['a=1', 'b=x,y', 'c=q"uote']);
    expect(splitCsv('')).toEqual(['']);
  });

  it('--progress, and -q/--quiet implying quiet progress', () => {
    expect(parse('--progress=plain', '.').progress).toBe('plain');
    expect(parse('--progress', 'rawjson', '.').progress).toBe('rawjson');
    expect(parse('-q', '.')).toMatchObject({ quiet: true, progress: 'quiet' });
    expect(parse('--quiet', '--progress=plain', '.')).toMatchObject({ quiet: true, progress: 'plain' });
    usageError(['--progress=json', '.'], /invalid --progress "json": use one of auto, tty, plain, rawjson, quiet/);
  });

  it('boolean switches', () => {
    expect(parse('--no-cache', '--pull', '--watch', '--explain', '--no-resolve', '--debug', '.')).toMatchObject({
      noCache: true,
      pull: true,
      watch: true,
      explain: true,
      noResolve: true,
      debug: true,
    });
  });

  it('--secret from a file (id defaults to its name) or the environment', () => {
    expect(
      parse(
        '--secret',
        'id=npmrc,src=/home/u/.npmrc',
        '--secret',
        'src=./certs/ca.pem',
        '--secret',
        'id=tok,env=GITHUB_TOKEN',
        '--secret',
        'env=API_KEY',
        '--secret',
        'id=AWS_KEY',
        '--secret',
        'type=file,id=x,source=f',
        '.',
      ).secrets,
    ).toEqual([
      { id: 'npmrc', kind: 'file', src: '/home/u/.npmrc' },
      { id: 'ca.pem', kind: 'file', src: './certs/ca.pem' },
      { id: 'tok', kind: 'env', env: 'GITHUB_TOKEN' },
      { id: 'API_KEY', kind: 'env', env: 'API_KEY' },
      { id: 'AWS_KEY', kind: 'env', env: 'AWS_KEY' },
      { id: 'x', kind: 'file', src: 'f' },
    ]);
    usageError(['--secret', 'id=a,path=x', '.'], /unknown key "path"/);
    usageError(['--secret', 'type=file,id=a', '.'], /type=file needs src=PATH/);
    usageError(['--secret', 'type=vault,id=a', '.'], /type must be file or env/);
    usageError(['--secret', 'nokey', '.'], /field "nokey" is not KEY=VALUE/);
  });

  it('--ssh default or id=paths', () => {
    expect(parse('--ssh', 'default', '--ssh', 'gh=/run/agent.sock', '--ssh', 'keys=a.pem,b.pem', '.').ssh).toEqual([
      { id: 'default', paths: [] },
      { id: 'gh', paths: ['/run/agent.sock'] },
      { id: 'keys', paths: ['a.pem', 'b.pem'] },
    ]);
    usageError(['--ssh', '=x', '.'], /invalid --ssh "=x"/);
    usageError(['--ssh', 'k=a,,b', '.'], /empty path/);
  });

  it('--platform, repeated or comma-separated', () => {
    expect(parse('--platform', 'linux/amd64,linux/arm64/v8', '--platform', 'linux/arm/v7', '.').platforms).toEqual([
      'linux/amd64',
      'linux/arm64/v8',
      'linux/arm/v7',
    ]);
    usageError(['--platform', 'amd64', '.'], /invalid --platform "amd64": expected OS\/ARCH/);
  });

  it('--network default|none|host', () => {
    expect(parse('--network', 'none', '.').network).toBe('none');
    expect(parse('--network=host', '.').network).toBe('host');
    usageError(['--network', 'bridge', '.'], /invalid --network "bridge": use one of default, none, host/);
  });

  it('--label K=V (repeatable; K alone is an empty label)', () => {
    expect(parse('--label', 'org.opencontainers.image.source=https://x/y', '--label', 'flag', '.').labels).toEqual({
      'org.opencontainers.image.source': 'https://x/y',
      flag: '',
    });
    usageError(['--label', '=v', '.'], /invalid --label "=v": expected KEY=VALUE/);
  });

  it('--iidfile, --metadata-file, --frontend', () => {
    expect(parse('--iidfile', 'id.txt', '--metadata-file', 'meta.json', '--frontend', './yaml.ts', '.')).toMatchObject({
      iidfile: 'id.txt',
      metadataFile: 'meta.json',
      frontend: './yaml.ts',
    });
  });

  it('--max-parallelism takes a whole number of at least 1', () => {
    expect(parse('--max-parallelism', '4', '.').maxParallelism).toBe(4);
    for (const bad of ['0', '-1', '2.5', 'many', '']) usageError([`--max-parallelism=${bad}`, '.'], /invalid --max-parallelism/);
  });

  it('--local NAME=PATH (repeatable)', () => {
    expect(parse('--local', 'context=.', '--local', 'dockerfile=./ci', '.').locals).toEqual({ context: '.', dockerfile: './ci' });
    usageError(['--local', 'context', '.'], /invalid --local "context": expected NAME=PATH/);
    usageError(['--local', 'context=', '.'], /expected NAME=PATH/);
  });

  it('documents every flag in --help', () => {
    for (const flag of [
      '--file',
      '--tag',
      '--target',
      '--build-arg',
      '--output',
      '--progress',
      '--no-cache',
      '--pull',
      '--secret',
      '--ssh',
      '--platform',
      '--network',
      '--label',
      '--iidfile',
      '--metadata-file',
      '--max-parallelism',
      '--quiet',
      '--watch',
      '--explain',
      '--local',
      '--frontend',
      '--no-resolve',
      '--debug',
      '--help',
    ]) {
      expect(buildUsage).toContain(flag);
    }
    expect(buildUsage).toMatch(/^Usage: tsbuild build \[OPTIONS\] CONTEXT/);
  });
});

describe('--builder', () => {
  it('takes the flag, else $BUILDKIT_HOST, with TLS files for tcp://', () => {
    const flag = parseBuildArgs(['--builder', 'tcp://h:1234', '--tlscacert', 'ca.pem', '--tlscert', 'c.pem', '--tlskey', 'k.pem', '.'], {
      BUILDKIT_HOST: 'docker',
    });
    expect(!flag.help && flag.builder).toEqual({ address: 'tcp://h:1234', tlsCa: 'ca.pem', tlsCert: 'c.pem', tlsKey: 'k.pem' });
    const env = parseBuildArgs(['.'], { BUILDKIT_HOST: 'unix:///run/buildkit/buildkitd.sock' });
    expect(!env.help && env.builder).toEqual({ address: 'unix:///run/buildkit/buildkitd.sock' });
    const none = parseBuildArgs(['.'], { BUILDKIT_HOST: '' });
    expect(!none.help && none.builder).toBeUndefined();
  });

  it('refuses TLS files without a builder', () => {
    usageError(['--tlscacert', 'ca.pem', '.'], /need --builder tcp:\/\/HOST:PORT/);
  });
});
