// RUN through the solver with the real runner: root, runc and overlayfs required.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cache, image, secret, tmpfs, type State } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, storeBusybox, tarEntries, type Harness } from './helpers.ts';

const run = requirePrereqs({ root: true, commands: ['runc', 'tar'] });
const BASE = 'tsbuild.test/busybox:1';
const SECRET_VALUE = 's3cr3t-value-7f1c';

describe.runIf(run).each(['overlayfs', 'native'] as const)('RUN on %s', (snapshotter) => {
  let h: Harness;
  let secretFile: string;

  beforeAll(async () => {
    h = await harness({ snapshotter });
    await storeBusybox(h.root, BASE);
    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-secret-'));
    secretFile = join(dir, 'secret');
    await writeFile(secretFile, SECRET_VALUE);
    await h.reopen({ secrets: { token: { file: secretFile } } });
  });
  afterAll(async () => {
    await h?.close();
    if (secretFile) await rm(join(secretFile, '..'), { recursive: true, force: true });
  });

  async function readOut(state: State, path: string): Promise<string> {
    const b = await build(h, state);
    const dir = await h.executor.readableDir(ok(b));
    try {
      return await readFile(join(dir.path, path), 'utf8');
    } finally {
      await dir.release();
    }
  }

  test('env, cwd and user by name', async () => {
    const s = image(BASE)
      .run(['/bin/sh', '-c', 'echo "$FOO:$(pwd):$(id -u):$(id -un):$(id -g)" > out'], { env: { FOO: 'bar' }, cwd: '/work/dir', user: 'app' })
      .root();
    expect((await readOut(s, 'work/dir/out')).trim()).toBe('bar:/work/dir:1000:app:1000');
  });

  test('user by uid:gid', async () => {
    const s = image(BASE).run(['/bin/sh', '-c', 'id -u > /tmp/ids; id -g >> /tmp/ids; mkdir -p /o; cp /tmp/ids /o/ids'], { user: '0:50' }).root();
    expect((await readOut(s, 'o/ids')).split('\n').slice(0, 2)).toEqual(['0', '50']);
  });

  test('network none has only the loopback interface', async () => {
    const s = image(BASE).run(['/bin/sh', '-c', "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /ifaces"], { network: 'none' }).root();
    expect((await readOut(s, 'ifaces')).trim().split('\n')).toEqual(['lo']);
  });

  test('valid exit codes', async () => {
    const s = image(BASE)
      .run(['/bin/sh', '-c', 'echo done > /x; exit 7'], { validExitCodes: [0, 7] })
      .root();
    expect((await readOut(s, 'x')).trim()).toBe('done');
  });

  test('a failing command reports its exit code and the tail of its output', async () => {
    const b = await build(h, image(BASE).run(['/bin/sh', '-c', 'echo first-line; echo tail-line-xyz >&2; exit 3']).root());
    expect(b.outcome.ok).toBe(false);
    if (b.outcome.ok) return;
    expect(b.outcome.failure.message).toContain(
      'process "/bin/sh -c echo first-line; echo tail-line-xyz >&2; exit 3" did not complete successfully: exit code: 3',
    );
    expect(b.outcome.failure.message).toContain('tail-line-xyz');
    expect(b.logs).toContain('first-line');
  });

  test('a secret is readable in RUN and is in no layer, key or log', async () => {
    const s = image(BASE)
      .run(['/bin/sh', '-c', `test "$(cat /run/secrets/token)" = "${SECRET_VALUE}" && echo secret-ok > /result; ls -la /run/secrets`], {
        mounts: [secret('token')],
      })
      .root();
    const b = await build(h, s);
    const result = ok(b);
    const dir = await h.executor.readableDir(result);
    try {
      expect((await readFile(join(dir.path, 'result'), 'utf8')).trim()).toBe('secret-ok');
      await expect(readdir(join(dir.path, 'run', 'secrets'))).rejects.toThrow();
    } finally {
      await dir.release();
    }
    for (const layer of await h.executor.layersOf(result)) {
      const entries = await tarEntries(layer.openTar());
      expect(entries.some((e) => e.name.includes('secrets'))).toBe(false);
      expect(entries.some((e) => e.data.includes(SECRET_VALUE))).toBe(false);
    }
    expect(b.logs).not.toContain(SECRET_VALUE);
    for (const v of b.outcome.vertices.values()) {
      expect(JSON.stringify([...v.definitionKeys.values(), ...(v.contentKeys?.values() ?? [])])).not.toContain(SECRET_VALUE);
    }
    const db = await readFile(join(h.root, 'cache.db')).catch(() => Buffer.alloc(0));
    expect(db.includes(SECRET_VALUE)).toBe(false);
  });

  test('a missing secret fails before anything runs', async () => {
    const b = await build(
      h,
      image(BASE)
        .run(['/bin/true'], { mounts: [secret('nope', { required: true })] })
        .root(),
    );
    expect(b.outcome.ok).toBe(false);
    if (!b.outcome.ok) expect(b.outcome.failure.message).toContain('secret "nope" was not given to the build');
    expect(b.ran).toEqual([]);
  });

  test('a cache mount persists across builds and stays out of layers', async () => {
    const step = (n: number) =>
      image(BASE)
        .run(['/bin/sh', '-c', `echo ${n} >> /cache/log; cp /cache/log /seen`], { mounts: [cache('/cache', { id: `c-${snapshotter}` })] })
        .root();
    await readOut(step(1), 'seen');
    await h.reopen({ secrets: { token: { file: secretFile } } });
    const seen = await readOut(step(2), 'seen');
    expect(seen.trim().split('\n')).toEqual(['1', '2']);
    const b = await build(h, step(2));
    for (const layer of await h.executor.layersOf(ok(b))) {
      const names = (await tarEntries(layer.openTar())).map((e) => e.name);
      expect(names.some((n) => n.startsWith('cache/') && n !== 'cache/')).toBe(false);
    }
  });

  test('tmpfs leaves nothing behind', async () => {
    const s = image(BASE)
      .run(['/bin/sh', '-c', 'echo x > /scratchpad/file && echo ok > /marker'], { mounts: [tmpfs('/scratchpad')] })
      .root();
    const b = await build(h, s);
    const layers = await h.executor.layersOf(ok(b));
    const names = (await tarEntries(layers[layers.length - 1]!.openTar())).map((e) => e.name);
    expect(names).toContain('marker');
    expect(names.some((n) => n.includes('scratchpad'))).toBe(false);
  });

  test('cancellation kills the container', async () => {
    const ac = new AbortController();
    const started = Date.now();
    // A duration of its own, so that other builds' sleeps on the machine are not mistaken for it.
    const sleep = `sleep ${600 + Math.floor(Math.random() * 9000)}`;
    const b = await build(
      h,
      image(BASE)
        .run(['/bin/sh', '-c', `echo started-now; ${sleep}`])
        .root(),
      {
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'log' && Buffer.from(e.data).toString().includes('started-now')) ac.abort(new Error('stop'));
        },
      },
    );
    expect(b.outcome.ok).toBe(false);
    if (!b.outcome.ok) expect(b.outcome.failure.reason).toBe('canceled');
    expect(Date.now() - started).toBeLessThan(30_000);
    const ps = execFileSync('ps', ['-eo', 'args']).toString();
    expect(ps).not.toContain(sleep);
  });
});
