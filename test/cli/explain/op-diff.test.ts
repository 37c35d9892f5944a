// Op-level reasons, on ops made with the State API and read back from marshaled definitions.
import { describe, expect, it } from 'vitest';
import {
  bind,
  cache,
  copy,
  decodeDefinition,
  image,
  local,
  marshal,
  mkfile,
  scratch,
  toJSONValue,
  type JSONValue,
  type OpKind,
  type State,
} from '../../../llb/index.ts';
import { diffEnv, diffOps, isRead, readsOf } from '../../../cli/explain/index.ts';

/** The JSON of the last op of `kind` in the state's definition (the one closest to the result). */
function lastOp(state: State, kind: OpKind): JSONValue {
  const ops = decodeDefinition(marshal(state, { platform: 'linux/amd64' })).ops.filter((o) => o.kind === kind);
  const op = ops[ops.length - 1];
  if (!op) throw new Error(`no ${kind} op`);
  return toJSONValue(op.op);
}

const base = image('busybox');
const ctx = local('context');

describe('diffOps: exec', () => {
  const run = (s: State, cmd: string | string[], opts: Parameters<State['run']>[1] = {}) => lastOp(s.run(cmd, opts).root(), 'exec');

  it('is undefined for the same op, even when its inputs differ', () => {
    expect(diffOps(run(base, 'make'), run(base, 'make'))).toBeUndefined();
    const other = image('alpine');
    expect(diffOps(run(base, 'make'), run(other, 'make'))).toBeUndefined();
  });

  it('names the command, env keys, cwd, user, network', () => {
    expect(diffOps(run(base, 'make'), run(base, 'make all'))).toBe('command changed');
    expect(diffOps(run(base.env('FOO', '1'), 'make'), run(base.env('FOO', '2'), 'make'))).toBe('ENV FOO changed');
    expect(diffOps(run(base, 'make'), run(base.env('BAR', 'x'), 'make'))).toBe('ENV BAR added');
    expect(diffOps(run(base.env('BAR', 'x'), 'make'), run(base, 'make'))).toBe('ENV BAR removed');
    expect(diffOps(run(base.dir('/a'), 'make'), run(base.dir('/b'), 'make'))).toBe('working directory changed');
    expect(diffOps(run(base, 'make'), run(base.user('app'), 'make'))).toBe('user changed');
    expect(diffOps(run(base, 'make'), run(base, 'make', { network: 'none' }))).toBe('network changed');
  });

  it('names mounts by target, and ignores cache-mount ids, which are not part of a key', () => {
    const a = run(base, 'make', { mounts: [bind('/src', ctx)] });
    expect(diffOps(a, run(base, 'make', { mounts: [bind('/src', ctx, { source: 'lib' })] }))).toBe('mount /src changed');
    expect(diffOps(a, run(base, 'make', { mounts: [bind('/src', ctx), cache('/root/.cache')] }))).toBe('mount /root/.cache added');
    expect(diffOps(run(base, 'make', { mounts: [cache('/c', { id: 'one' })] }), run(base, 'make', { mounts: [cache('/c', { id: 'two' })] }))).toBeUndefined();
  });

  it('lists several env changes, the rest as "and N more"', () => {
    expect(diffEnv(['A=1', 'B=1', 'C=1', 'D=1', 'E=1'], ['A=2', 'B=2', 'C=2', 'D=2'])).toEqual([
      'ENV A changed',
      'ENV B changed',
      'ENV C changed',
      'ENV D changed',
      'ENV E removed',
    ]);
    const p = run(base.env({ A: '1', B: '1', C: '1', D: '1' }), 'make');
    const c = run(base.env({ A: '2', B: '2', C: '2', D: '2' }), 'make');
    expect(diffOps(p, c)).toBe('ENV A changed, ENV B changed, ENV C changed and 1 more');
  });
});

describe('diffOps: file and source', () => {
  const cp = (src: string, dest: string, opts: Parameters<typeof copy>[3] = {}) => lastOp(base.file(copy(ctx, src, dest, opts)), 'file');

  it('names the field of a copy that changed', () => {
    expect(diffOps(cp('src/', '/app'), cp('src/', '/app'))).toBeUndefined();
    expect(diffOps(cp('src/', '/app'), cp('lib/', '/app'))).toBe('copy source changed');
    expect(diffOps(cp('src/', '/app'), cp('src/', '/srv'))).toBe('copy destination changed');
    expect(diffOps(cp('src/', '/app'), cp('src/', '/app', { chmod: 0o755 }))).toBe('chmod changed');
    expect(diffOps(cp('src/', '/app'), cp('src/', '/app', { chown: 'app' }))).toBe('chown changed');
    expect(diffOps(cp('src/', '/app'), cp('src/', '/app', { exclude: ['*.md'] }))).toBe('copy --exclude changed');
    expect(diffOps(cp('src/', '/app'), cp('src/', '/app', { followSymlinks: true }))).toBe('copy options changed');
  });

  it('names mkfile content and added actions', () => {
    const f = (data: string) => lastOp(scratch().file(mkfile('/a', 0o644, data)), 'file');
    expect(diffOps(f('one'), f('two'))).toBe('file content changed');
    const two = lastOp(scratch().file(mkfile('/a', 0o644, 'one').mkfile('/b', 0o644, 'x')), 'file');
    expect(diffOps(f('one'), two)).toBe('file operation added');
  });

  it('names the image references, and source attributes', () => {
    const img = (ref: string) => lastOp(image(ref), 'source');
    expect(diffOps(img('busybox'), img('alpine:3.19'))).toBe('image changed: docker.io/library/busybox:latest → docker.io/library/alpine:3.19');
    const pinned = `busybox@sha256:${'a'.repeat(64)}`;
    expect(diffOps(img('busybox'), img(pinned))).toBe(`image changed: docker.io/library/busybox:latest → docker.io/library/busybox@sha256:${'a'.repeat(12)}`);
    const loc = (exclude: string[]) => lastOp(local('context', { exclude }), 'source');
    expect(diffOps(loc(['a']), loc(['b']))).toBe('source changed: exclude patterns (.dockerignore)');
  });

  it('says when the kind of step changed', () => {
    expect(diffOps(lastOp(image('busybox'), 'source'), lastOp(base.run('make').root(), 'exec'))).toBe('step changed from source to exec');
  });
});

describe('readsOf / isRead', () => {
  it('a COPY reads its source paths, wildcards and patterns applied below each match', () => {
    const op = lastOp(base.file(copy(ctx, 'src/', '/app', { exclude: ['**/*.test.ts'] }).copy(ctx, 'package*.json', '/app/', { allowWildcard: true })), 'file');
    const reads = readsOf(op, 1);
    expect(reads).not.toBe('all');
    expect(isRead(reads, 'src/index.ts')).toBe(true);
    expect(isRead(reads, 'src/lib/util.ts')).toBe(true);
    expect(isRead(reads, 'src/lib/util.test.ts')).toBe(false);
    expect(isRead(reads, 'package.json')).toBe(true);
    expect(isRead(reads, 'package-lock.json')).toBe(true);
    expect(isRead(reads, 'README.md')).toBe(false);
    expect(isRead(reads, 'srcx/a.ts')).toBe(false);
    // the base tree is changed in place: all of it counts
    expect(readsOf(op, 0)).toBe('all');
  });

  it('an exec reads what it mounts', () => {
    const op = lastOp(base.run('make', { mounts: [bind('/src', ctx, { source: 'lib' })] }).root(), 'exec');
    const idx = (op as { inputs: unknown[] }).inputs.length - 1;
    const reads = readsOf(op, idx);
    expect(isRead(reads, 'lib/a.c')).toBe(true);
    expect(isRead(reads, 'src/a.c')).toBe(false);
  });
});
