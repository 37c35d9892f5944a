// Marshal a State, decode the definition, assert on the ops (as BuildKit's client/llb tests do).
import { describe, expect, it } from 'vitest';
import {
  CacheSharingOpt,
  copy,
  DEFAULT_PATH,
  decodeDefinition,
  diff,
  git,
  http,
  image,
  local,
  marshal,
  merge,
  mkdir,
  mkfile,
  MountType,
  NetMode,
  ociLayout,
  rm,
  scratch,
  SecurityMode,
  StateError,
  symlink,
  cache,
  bind,
  tmpfs,
  secret,
  ssh,
  type DecodedOp,
  type Digest,
  type State,
} from '../../llb/index.ts';

const AMD64 = { platform: 'linux/amd64' } as const;

function parse(state: State) {
  const d = decodeDefinition(marshal(state, AMD64));
  const head = d.byDigest.get(d.head!.digest)!;
  const get = (digest: string) => d.byDigest.get(digest as Digest)!;
  return { ...d, head, get, input: (op: DecodedOp, i: number) => get(op.op.inputs![i]!.digest) };
}

describe('sources', () => {
  it('normalizes image references like BuildKit', () => {
    const { head } = parse(image('busybox'));
    expect(head.op.source).toEqual({ identifier: 'docker-image://docker.io/library/busybox:latest' });
    expect(head.op.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(head.op.constraints).toEqual({});
    expect(head.metadata?.caps).toEqual({ 'source.image': true });
    expect(parse(image('ghcr.io/org/app:1.2')).head.op.source!.identifier).toBe('docker-image://ghcr.io/org/app:1.2');
    expect(parse(image('localhost:5000/x')).head.op.source!.identifier).toBe('docker-image://localhost:5000/x:latest');
  });

  it('pulls an explicit image platform, and later runs use it', () => {
    const p = parse(image('alpine', { platform: 'linux/arm64', resolveMode: 'pull' }).run('true').root());
    const src = p.input(p.head, 0);
    expect(src.op.platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(src.op.source!.attrs).toEqual({ 'image.resolvemode': 'pull' });
    expect(p.head.op.platform).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it('rejects invalid references with a clear error', () => {
    expect(() => image('Busybox')).toThrow(/must be lowercase/);
    expect(() => image('a:b:c')).toThrow(/invalid image reference/);
  });

  it('local sources carry patterns as JSON and no platform', () => {
    const { head } = parse(local('context', { include: ['src/**'], exclude: ['node_modules'] }));
    expect(head.op).toEqual({
      source: { identifier: 'local://context', attrs: { 'local.includepattern': '["src/**"]', 'local.excludepatterns': '["node_modules"]' } },
      constraints: {},
    });
  });

  it('git, http and oci-layout sources', () => {
    const g = parse(git('github.com/moby/buildkit.git', 'v0.13.0', { keepGitDir: true })).head.op.source!;
    expect(g.identifier).toBe('git://github.com/moby/buildkit.git#v0.13.0');
    expect(g.attrs).toMatchObject({ 'git.fullurl': 'https://github.com/moby/buildkit.git', 'git.keepgitdir': 'true', 'git.authtokensecret': 'GIT_AUTH_TOKEN' });
    const s = parse(git('git@github.com:moby/buildkit.git')).head.op.source!;
    expect(s.identifier).toBe('git://github.com/moby/buildkit.git');
    expect(s.attrs?.['git.mountsshsock']).toBe('default');
    const h = parse(http('https://example.com/a.tgz', { checksum: 'sha256:abc', chmod: 0o755, filename: 'a.tgz' })).head.op.source!;
    expect(h).toEqual({ identifier: 'https://example.com/a.tgz', attrs: { 'http.checksum': 'sha256:abc', 'http.perm': '0755', 'http.filename': 'a.tgz' } });
    const o = parse(ociLayout('store@sha256:' + 'a'.repeat(64))).head.op;
    expect(o.source!.identifier).toBe('oci-layout://store@sha256:' + 'a'.repeat(64));
    expect(o.platform).toBeDefined();
    expect(() => http('ftp://x')).toThrow(StateError);
  });
});

describe('run', () => {
  it('runs a shell string through /bin/sh -c with the default PATH, cwd / and the root mount', () => {
    const p = parse(image('busybox').run('echo hi').root());
    const exec = p.head.op.exec!;
    expect(exec.meta).toEqual({ args: ['/bin/sh', '-c', 'echo hi'], env: [`PATH=${DEFAULT_PATH}`], cwd: '/', removeMountStubsRecursive: true });
    expect(exec.mounts).toEqual([{ dest: '/' }]); // input 0, output 0 are defaults
    expect(p.head.op.inputs).toHaveLength(1);
    expect(p.input(p.head, 0).kind).toBe('source');
  });

  it('keeps env order, replaces in place at the end, and keeps an explicit PATH', () => {
    const st = image('busybox').env('A', '1').env('B', '2').env('A', '3').env('PATH', '/bin');
    expect(parse(st.run(['env']).root()).head.op.exec!.meta!.env).toEqual(['B=2', 'A=3', 'PATH=/bin']);
    const withOpts = parse(
      image('busybox')
        .run(['env'], { env: { Z: '1', Y: '2' } })
        .root(),
    ).head.op.exec!.meta!.env;
    expect(withOpts).toEqual(['Y=2', 'Z=1', `PATH=${DEFAULT_PATH}`]);
  });

  it('resolves relative dirs against the current dir and refuses one with no base', () => {
    const st = image('busybox').dir('/app').dir('src').user('nobody').hostname('box');
    const meta = parse(st.run(['pwd']).root()).head.op.exec!.meta!;
    expect(meta).toMatchObject({ cwd: '/app/src', user: 'nobody', hostname: 'box' });
    expect(() => image('busybox').dir('app')).toThrow(expect.objectContaining({ code: 'relative-dir' }));
    expect(() => image('busybox').dir('app')).toThrow(/use an absolute path such as "\/app"/);
  });

  it('refuses empty commands', () => {
    expect(() => image('busybox').run([])).toThrow(expect.objectContaining({ code: 'empty-args' }));
    expect(() => image('busybox').run('   ')).toThrow(StateError);
  });

  it('sorts mounts by target, dedupes inputs and numbers outputs like BuildKit', () => {
    const ctx = local('context');
    const tools = image('alpine');
    const e = image('busybox').run(['make'], {
      mounts: [
        bind('/src', ctx, { readonly: true }),
        cache('/root/.cache', { id: 'go', sharing: 'locked' }),
        bind('/out', scratch()),
        tmpfs('/tmp', { size: 4096 }),
        bind('/ctx2', ctx, { source: 'sub', readonly: true }),
        bind('/a-tools', tools),
        secret('npmrc', { target: '/root/.npmrc', required: true }),
        secret('token', { env: 'TOKEN' }),
        ssh(),
      ],
      network: 'none',
      security: 'insecure',
    });
    const p = parse(e.root());
    const exec = p.head.op.exec!;
    expect(exec.mounts!.map((m) => m.dest)).toEqual([
      '/',
      '/a-tools',
      '/ctx2',
      '/out',
      '/root/.cache',
      '/src',
      '/tmp',
      '/root/.npmrc',
      '/run/buildkit/ssh_agent.0',
    ]);
    const [root, toolsM, ctx2, out, cacheM, srcM, tmpM, secretM, sshM] = exec.mounts!;
    expect(p.head.op.inputs).toHaveLength(3); // busybox, alpine, context (deduped)
    expect(root).toEqual({ dest: '/' });
    expect(toolsM).toEqual({ input: 1, dest: '/a-tools', output: 1 });
    expect(ctx2).toEqual({ input: 2, selector: 'sub', dest: '/ctx2', output: -1, readonly: true });
    expect(out).toEqual({ input: -1, dest: '/out', output: 2 });
    expect(cacheM).toEqual({
      input: -1,
      dest: '/root/.cache',
      output: -1,
      mountType: MountType.CACHE,
      cacheOpt: { id: 'go', sharing: CacheSharingOpt.LOCKED },
    });
    expect(srcM).toEqual({ input: 2, dest: '/src', output: -1, readonly: true });
    expect(tmpM).toEqual({ input: -1, dest: '/tmp', output: -1, mountType: MountType.TMPFS, tmpfsOpt: { size: 4096 } });
    expect(secretM).toEqual({ input: -1, dest: '/root/.npmrc', mountType: MountType.SECRET, secretOpt: { id: 'npmrc', mode: 0o400 } });
    expect(sshM).toEqual({ input: -1, dest: '/run/buildkit/ssh_agent.0', mountType: MountType.SSH, sshOpt: { id: 'default', mode: 0o600, optional: true } });
    expect(exec.secretenv).toEqual([{ id: 'token', name: 'TOKEN', optional: true }]);
    expect(exec.network).toBe(NetMode.NONE);
    expect(exec.security).toBe(SecurityMode.INSECURE);
    expect(exec.meta!.env).toContain('SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0');

    // getMount: a writable mount's result is a new output of the same exec.
    const outState = parse(e.getMount('/out'));
    expect(outState.head.digest).toBe(p.head.digest);
    expect(decodeDefinition(marshal(e.getMount('/out'), AMD64)).head).toEqual({ digest: p.head.digest, index: 2 });
    expect(decodeDefinition(marshal(e.getMount('/src'), AMD64)).head!.digest).toBe(p.input(p.head, 2).digest);
    expect(() => e.getMount('/tmp')).toThrow(expect.objectContaining({ code: 'mount-has-no-output' }));
    expect(() => e.getMount('/nope')).toThrow(expect.objectContaining({ code: 'no-mount' }));
    expect(() => image('busybox').run(['x'], { mounts: [tmpfs('/t'), tmpfs('/t')] })).toThrow(expect.objectContaining({ code: 'duplicate-mount' }));
  });

  it('puts customName and ignoreCache in metadata, never in the digest', () => {
    const a = parse(image('busybox').run(['true']).root());
    const b = parse(image('busybox').run(['true'], { customName: 'hello', ignoreCache: true }).root());
    expect(b.head.digest).toBe(a.head.digest);
    expect(b.head.metadata).toMatchObject({ ignoreCache: true, description: { 'llb.customname': 'hello' } });
    expect(a.head.metadata?.ignoreCache).toBeUndefined();
  });

  it('leaves the receiver unchanged', () => {
    const base = image('busybox').env('A', '1');
    const before = marshal(base, AMD64);
    base.env('B', '2').dir('/x').user('u').run(['x']);
    expect(marshal(base, AMD64)).toEqual(before);
    expect(base.getEnv()).toEqual(['A=1']);
  });
});

describe('file', () => {
  it('chains actions into one FileOp with relative inputs', () => {
    const ctx = local('context');
    const st = image('busybox')
      .dir('/app')
      .file(
        mkdir('data', 0o755, { makeParents: true, chown: 'app:1000' })
          .mkfile('data/VERSION', 0o644, '1.0\n')
          .copy(ctx.dir('/src'), 'pkg/', './', { chmod: 0o700, include: ['*.go'], followSymlinks: true, createDestPath: true })
          .symlink('/app/data', '/app/link')
          .rm('tmp', { allowNotFound: true }),
        { customName: 'files' },
      );
    const p = parse(st);
    expect(p.head.kind).toBe('file');
    expect(p.head.op.platform).toBeUndefined();
    expect(p.head.op.inputs!.map((i) => p.get(i.digest).op.source!.identifier)).toEqual(['docker-image://docker.io/library/busybox:latest', 'local://context']);
    const actions = p.head.op.file!.actions!;
    expect(actions.map((a) => [a.input, a.secondaryInput, a.output ?? 0])).toEqual([
      [undefined, -1, -1],
      [2, -1, -1],
      [3, 1, -1],
      [4, -1, -1],
      [5, -1, 0],
    ]);
    expect(actions[0]!.mkdir).toEqual({
      path: '/app/data',
      mode: 0o755,
      makeParents: true,
      owner: { user: { byName: { name: 'app' } }, group: { byID: 1000 } },
      timestamp: -1,
    });
    expect(actions[1]!.mkfile).toEqual({ path: '/app/data/VERSION', mode: 0o644, data: new TextEncoder().encode('1.0\n'), timestamp: -1 });
    expect(actions[2]!.copy).toEqual({
      src: '/src/pkg',
      dest: '/app/',
      mode: 0o700,
      followSymlink: true,
      createDestPath: true,
      timestamp: -1,
      includePatterns: ['*.go'],
    });
    expect(actions[3]!.symlink).toEqual({ oldpath: '/app/data', newpath: '/app/link', timestamp: -1 });
    expect(actions[4]!.rm).toEqual({ path: '/app/tmp', allowNotFound: true });
    expect(p.head.metadata?.description).toEqual({ 'llb.customname': 'files' });
  });

  it('works on scratch and from scratch', () => {
    const p = parse(scratch().file(copy(scratch(), '/', '/x').mkdir('/y', 0o700, { chown: 0 })));
    expect(p.head.op.inputs).toBeUndefined();
    const [a0, a1] = p.head.op.file!.actions!;
    expect([a0!.input, a0!.secondaryInput, a1!.input ?? 0]).toEqual([-1, -1, 0]);
    expect(a1!.mkdir!.owner).toEqual({ user: { byID: 0 } });
  });

  it('keeps a trailing slash or /. on copy destinations', () => {
    const dest = (d: string) => parse(scratch().file(copy(image('busybox'), '/a', d))).head.op.file!.actions![0]!.copy!.dest;
    expect(dest('/x/')).toBe('/x/');
    expect(dest('/x/.')).toBe('/x/.');
    expect(dest('x')).toBe('/x');
    expect(dest('/')).toBe('/');
  });

  it('refuses to copy from an undefined state', () => {
    const missing = undefined as unknown as State;
    expect(() => copy(missing, '/a', '/b')).toThrow(expect.objectContaining({ code: 'undefined-state' }));
    expect(() => mkdir('/a', 0o755).copy(missing, '/a', '/b')).toThrow(/source is not a State/);
  });

  it('encodes created times as unix nanoseconds', () => {
    const t = new Date('2024-01-02T03:04:05.678Z');
    const a = parse(scratch().file(mkfile('/f', 0o600, 'x', { createdTime: t }))).head.op.file!.actions![0]!;
    expect(a.mkfile!.timestamp).toBe(BigInt(t.getTime()) * 1_000_000n);
  });

  it('symlink and rm have their own actions', () => {
    const p = parse(
      scratch()
        .file(symlink('a', '/b'))
        .file(rm('/c', { allowWildcard: true })),
    );
    expect(p.head.op.file!.actions![0]!.rm).toEqual({ path: '/c', allowWildcard: true });
    expect(p.head.metadata?.caps).toMatchObject({ 'file.rm.wildcard': true });
  });
});

describe('merge and diff', () => {
  it('merges inputs in order and drops scratch', () => {
    const a = image('busybox');
    const b = scratch().file(mkfile('/x', 0o644, 'x'));
    const p = parse(merge([a, scratch(), b], { customName: 'link' }));
    expect(p.head.op.merge).toEqual({ inputs: [{}, { input: 1 }] });
    expect(p.head.op.inputs!.map((i) => p.get(i.digest).kind)).toEqual(['source', 'file']);
    expect(p.head.op.platform).toBeUndefined();
    expect(merge([scratch(), a])).toBe(a);
    expect(merge([]).isScratch()).toBe(true);
  });

  it("keeps the first input's env and dir", () => {
    const m = merge([image('busybox').env('A', '1').dir('/w'), scratch().file(mkdir('/x', 0o755))]);
    expect(m.getEnv()).toEqual(['A=1']);
    expect(parse(m.run('true').root()).head.op.exec!.meta!.cwd).toBe('/w');
  });

  it('diffs lower and upper', () => {
    const base = image('busybox');
    const upper = base.run('touch /x').root();
    const p = parse(diff(base, upper));
    expect(p.head.op.diff).toEqual({ lower: {}, upper: { input: 1 } });
    expect(p.head.op.inputs!.map((i) => p.get(i.digest).kind)).toEqual(['source', 'exec']);
    const fromScratch = parse(diff(scratch(), base)).head;
    expect(fromScratch.kind).toBe('source');
    const toScratch = parse(diff(base, scratch())).head.op.diff;
    expect(toScratch).toEqual({ lower: {}, upper: { input: -1 } });
  });
});

describe('the terminal op', () => {
  it('is last and has the result as its single input', () => {
    const def = marshal(image('busybox').run('true').root(), AMD64);
    const d = decodeDefinition(def);
    expect(def.def).toHaveLength(3);
    expect(d.head).toEqual({ digest: d.ops[1]!.digest });
  });

  it('shares one vertex between two users', () => {
    const base = image('busybox').run('apk add x').root();
    const def = marshal(merge([base.run('a').root(), base.run('b').root()]), AMD64);
    expect(decodeDefinition(def).ops.map((o) => o.kind)).toEqual(['source', 'exec', 'exec', 'exec', 'merge']);
  });
});
