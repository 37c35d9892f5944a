// Cache-key payloads of exec and file ops: what goes in, what never does.
import { describe, expect, it, test } from 'vitest';
import { MountType, NetMode } from '../../../llb/index.ts';
import { execKeyPayload, fileKeyPayload } from '../../../executor/index.ts';
import { opDigest, Semaphore } from '../../../executor/ops/index.ts';

describe('exec key payload', () => {
  const payload = execKeyPayload({
    meta: { args: ['sh', '-c', 'make'], env: ['A=1'], cwd: '/src', proxyEnv: { httpProxy: 'http://proxy:3128' } },
    mounts: [
      { input: 0, dest: '/', output: 0 },
      { input: 1, dest: '/ctx', selector: '/sub/dir', readonly: true, output: -1 },
      { input: -1, dest: '/run/secrets/tok', mountType: MountType.SECRET, secretOpt: { id: 'tok', mode: 0o400 }, output: -1 },
      { input: -1, dest: '/cache', mountType: MountType.CACHE, cacheOpt: { id: 'my-cache', sharing: 1 }, output: -1 },
    ],
  });
  const text = JSON.stringify(payload);

  test('keeps the command, env, cwd and mount destinations', () => {
    expect(text).toContain('make');
    expect(text).toContain('A=1');
    expect(text).toContain('/ctx');
  });
  test('drops proxy env, selectors and cache ids', () => {
    expect(text).not.toContain('proxy');
    expect(text).not.toContain('/sub/dir');
    expect(text).not.toContain('my-cache');
  });
  test('names a secret by id only', () => {
    expect(text).toContain('"id":"tok"');
  });
});

describe('file key payload', () => {
  test('a copy from an input keeps only the base name of its source', () => {
    const p = JSON.stringify(
      fileKeyPayload([{ input: 0, secondaryInput: 1, output: 0, copy: { src: '/deep/path/file.txt', dest: '/x', includePatterns: ['*.txt'] } }], 2),
    );
    expect(p).toContain('"src":"file.txt"');
    expect(p).not.toContain('deep/path');
    expect(p).not.toContain('*.txt');
  });
  test('a copy from an earlier action keeps its full source', () => {
    const p = JSON.stringify(
      fileKeyPayload(
        [
          { input: -1, output: -1, mkdir: { path: '/a/b', mode: 0o755, makeParents: true } },
          { input: 0, secondaryInput: 1, output: 0, copy: { src: '/a/b', dest: '/x' } },
        ],
        1,
      ),
    );
    expect(p).toContain('"src":"/a/b"');
  });
});

describe('Semaphore', () => {
  test('bounds holders and hands slots over in order', async () => {
    const s = new Semaphore(1);
    const ac = new AbortController();
    const r1 = await s.acquire(ac.signal);
    const order: number[] = [];
    const p2 = s.acquire(ac.signal).then((r) => (order.push(2), r));
    const p3 = s.acquire(ac.signal).then((r) => (order.push(3), r));
    await Promise.resolve();
    expect(order).toEqual([]);
    r1();
    (await p2)();
    (await p3)();
    expect(order).toEqual([2, 3]);
  });
  test('an aborted wait rejects', async () => {
    const s = new Semaphore(1);
    const ac = new AbortController();
    await s.acquire(ac.signal);
    const waiting = s.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('default network in the exec key', () => {
  it('an unset network keys as none when the build default is none', () => {
    const exec = { meta: { args: ['true'] } };
    expect(JSON.stringify(execKeyPayload(exec, 'none'))).toBe(JSON.stringify(execKeyPayload({ ...exec, network: NetMode.NONE })));
    expect(JSON.stringify(execKeyPayload(exec, 'host'))).not.toBe(JSON.stringify(execKeyPayload(exec, 'none')));
  });
});

describe('op cache digests are canonical', () => {
  test('two field orders of one payload give one digest', () => {
    const a = opDigest('tsbuild.test.v0', { exec: { meta: { args: ['sh'], cwd: '/' }, mounts: [{ dest: '/', input: 0 }] }, platform: 'linux/amd64' });
    const b = opDigest('tsbuild.test.v0', { platform: 'linux/amd64', exec: { mounts: [{ input: 0, dest: '/' }], meta: { cwd: '/', args: ['sh'] } } });
    expect(a).toBe(b);
  });
  test('an undefined member and an absent one give one digest', () => {
    expect(opDigest('tsbuild.test.v0', { a: 1, b: undefined, c: { d: undefined } })).toBe(opDigest('tsbuild.test.v0', { a: 1, c: {} }));
  });
  test('the same exec op decoded with its fields in another order has one cache key payload digest', () => {
    const mounts = [{ input: 0, dest: '/', output: 0 }];
    const a = opDigest('tsbuild.test.v0', execKeyPayload({ meta: { args: ['sh'], env: ['A=1'], cwd: '/src' }, mounts }));
    const b = opDigest('tsbuild.test.v0', execKeyPayload({ mounts: [{ output: 0, dest: '/', input: 0 }], meta: { cwd: '/src', env: ['A=1'], args: ['sh'] } }));
    expect(a).toBe(b);
  });
});
