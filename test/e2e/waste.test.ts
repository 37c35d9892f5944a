// Wasted bytes, end to end through the CLI: the build's warnings and `tsbuild inspect` (local
// store, registry, OCI archive), with every figure checked against sizes this test reads from the
// layer tars itself, with GNU tar.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requirePrereqs } from '../support/require-root.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { bindCli, seededCli, stackLines, tempRoot, type Cli } from '../support/tsbuild-cli.ts';

const exec = promisify(execFile);
const run = requirePrereqs({ root: true, commands: ['runc', 'docker-registry', 'tar'] });

// A base with a file of its own, so that deleting a base file can be told from deleting a build's.
const BASE = 'FROM busybox\nRUN head -c 200000 /dev/urandom > /base.bin\n';

// Steps 2 → 4: add then delete in a later RUN; 3 → 5: overwrite a big file; 6: add and delete
// in the same RUN (nothing ships); 7: delete the base's file.
const DOCKERFILE = `FROM wastebase:1
RUN mkdir -p /var/cache/pkgs && head -c 3000000 /dev/urandom > /var/cache/pkgs/big.bin && head -c 1000000 /dev/urandom > /var/cache/pkgs/small.bin
RUN head -c 2000000 /dev/urandom > /opt.bin
RUN rm -rf /var/cache/pkgs
RUN head -c 500000 /dev/urandom > /opt.bin
RUN head -c 400000 /dev/urandom > /tmp/x && rm /tmp/x
RUN rm /base.bin
`;

interface TarEntry {
  path: string;
  size: number;
  kind: 'file' | 'dir' | 'whiteout' | 'opaque' | 'other';
}

/** `tar -tv` of a layer blob (gzip or not; GNU tar detects which), parsed. */
async function listLayer(blob: string): Promise<TarEntry[]> {
  const { stdout } = await exec('tar', ['--numeric-owner', '-tvf', blob], { maxBuffer: 64 << 20 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // -rw-r--r-- 0/0   3000000 2026-12-02 05:41 var/cache/pkgs/big.bin
      const m = /^(\S)\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*?)(?: -> .*| link to .*)?$/.exec(line);
      if (!m) throw new Error(`unparsed tar line: ${line}`);
      const path = m[3]!.replace(/^\.\//, '').replace(/\/$/, '');
      const base = path.slice(path.lastIndexOf('/') + 1);
      const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
      if (base === '.wh..wh..opq') return { path: dir, size: 0, kind: 'opaque' as const };
      if (base.startsWith('.wh.')) return { path: (dir ? `${dir}/` : '') + base.slice(4), size: 0, kind: 'whiteout' as const };
      return { path, size: Number(m[2]), kind: m[1] === '-' ? ('file' as const) : m[1] === 'd' ? ('dir' as const) : ('other' as const) };
    });
}

/** The layers of the one image in an OCI layout directory, listed. */
async function layoutLayers(dir: string): Promise<{ digest: string; size: number; entries: TarEntry[] }[]> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (d: string) => join(dir, 'blobs', 'sha256', d.slice(7));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string; size: number }[] };
  return Promise.all(manifest.layers.map(async (l) => ({ digest: l.digest, size: l.size, entries: await listLayer(blob(l.digest)) })));
}

/** Wasted bytes and efficiency as docs/inspect.md defines them, from plain listings. */
function expectedWaste(layers: TarEntry[][]): { sizeBytes: number; wastedBytes: number; efficiency: number } {
  const visible = new Map<string, number>();
  const seen = new Map<string, number[]>();
  const occur = (p: string, n: number) => seen.set(p, [...(seen.get(p) ?? []), n]);
  let sizeBytes = 0;
  for (const entries of layers) {
    for (const e of entries) {
      if (e.kind === 'whiteout') {
        for (const [p, n] of [...visible]) {
          if (p === e.path || p.startsWith(`${e.path}/`)) {
            occur(p, n);
            visible.delete(p);
          }
        }
      } else if (e.kind === 'file' || e.kind === 'other') {
        sizeBytes += e.size;
        occur(e.path, e.size);
        visible.set(e.path, e.size);
      }
    }
  }
  let wastedBytes = 0;
  let min = 0;
  let all = 0;
  for (const sizes of seen.values()) {
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sizes.length > 1) wastedBytes += sum;
    min += Math.min(...sizes);
    all += sum;
  }
  return { sizeBytes, wastedBytes, efficiency: all === 0 ? 1 : min / all };
}

function sizeOf(entries: TarEntry[], pred: (e: TarEntry) => boolean): number {
  return entries.filter((e) => e.kind === 'file' && pred(e)).reduce((n, e) => n + e.size, 0);
}

/** BuildKit's binary units, as the progress output prints them. */
function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? String(v) : v.toFixed(2).replace(/\.?0+$/, '')}${units[u]}`;
}

/** The warnings of a rawjson progress stream, decoded. */
function rawWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => (JSON.parse(l) as { warnings?: { short: string }[] }).warnings ?? [])
    .map((w) => Buffer.from(w.short, 'base64').toString('utf8'));
}

describe.runIf(run)('wasted bytes', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;
  let work: string;
  let ctx: string;
  let registry: TestRegistry | undefined;
  let layers: { digest: string; size: number; entries: TarEntry[] }[];
  let warnings: string[];
  let stderr: string;

  beforeAll(async () => {
    const [seeded, reg] = await Promise.all([seededCli(), startRegistry()]);
    ({ cli, dispose } = seeded);
    registry = reg;
    work = await mkdtemp(join(tmpdir(), 'tsbuild-e2e-waste-'));
    const base = join(work, 'base');
    ctx = join(work, 'ctx');
    await Promise.all([mkdir(base), mkdir(ctx)]);
    await writeFile(join(base, 'Dockerfile'), BASE);
    await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
    await cli.ok(['build', '--progress=quiet', '-t', 'wastebase:1', base]);
    // Two image outputs: the warnings still come once.
    const out = join(work, 'out.tar');
    const r = await cli.ok(['build', '--progress=rawjson', '-t', 'waste:1', '-o', 'type=image', '-o', `type=oci,dest=${out}`, ctx]);
    stderr = r.stderr;
    warnings = rawWarnings(r.stderr);
    const layout = join(work, 'layout');
    await mkdir(layout);
    await exec('tar', ['-xf', out, '-C', layout]);
    layers = await layoutLayers(layout);
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    await dispose?.();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a later RUN deleting or overwriting an earlier RUN’s bytes is warned, with the figures of the layer tars', () => {
    // Layers: base (busybox, base.bin), then one per RUN: 2..7 are layers 2..7 (0-based).
    expect(layers).toHaveLength(8);
    const pkgs = sizeOf(layers[2]!.entries, (e) => e.path.startsWith('var/cache/pkgs/'));
    const opt = sizeOf(layers[3]!.entries, (e) => e.path === 'opt.bin');
    expect(pkgs).toBe(4_000_000);
    expect(opt).toBe(2_000_000);
    expect(layers[4]!.entries.some((e) => e.kind === 'whiteout' && e.path === 'var/cache/pkgs')).toBe(true);

    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toBe(
      `Dockerfile:4: step 4 (RUN rm -rf /var/cache/pkgs) deletes ${human(pkgs)} that step 2 (RUN mkdir -p /var/cache/pkgs && head -c 3000000 /dev/urando…) added; they still ship: do both in one RUN, or use a cache mount`,
    );
    expect(warnings[1]).toBe(
      `Dockerfile:5: step 5 (RUN head -c 500000 /dev/urandom > /opt.bin) overwrites ${human(opt)} that step 3 (RUN head -c 2000000 /dev/urandom > /opt.bin) added; they still ship: write the final version in one step`,
    );
    // Same-RUN deletion (step 6) and the base's file (step 7): nothing.
    expect(warnings.join('\n')).not.toMatch(/step 6|step 7/);
    expect(stackLines(stderr)).toEqual([]);
  });

  test('--check-base also warns of the base image’s bytes; plain progress shows it on the step', async () => {
    const r = await cli.ok(['build', '--progress=plain', '--check-base', '-t', 'waste:1', ctx]);
    const base = sizeOf(layers[1]!.entries, (e) => e.path === 'base.bin');
    expect(base).toBe(200_000);
    const lines = r.stderr.split('\n').filter((l) => l.includes(' WARN: '));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(
      new RegExp(
        `^#\\d+ WARN: Dockerfile:7: step 7 \\(RUN rm /base\\.bin\\) deletes ${human(base).replace('.', '\\.')} that base image layer 2 \\(.*\\) added`,
      ),
    );
  });

  test('a build.ts step is named in the warning', async () => {
    const dir = join(work, 'ts');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'build.ts'),
      "import { image } from 'tsbuild';\nexport default () => image('busybox').run('head -c 300000 /dev/urandom > /blob.bin').root().run('rm /blob.bin').root();\n",
    );
    const r = await cli.ok(['build', '--progress=plain', '-o', `type=oci,dest=${join(dir, 'out.tar')}`, dir]);
    const lines = r.stderr.split('\n').filter((l) => l.includes(' WARN: '));
    expect(lines).toEqual([
      expect.stringMatching(
        /^#\d+ WARN: step "\/bin\/sh -c rm \/blob\.bin" deletes 292\.97kB that step "\/bin\/sh -c head -c 300000 \/dev\/urandom > \/blob\.bin" added/,
      ),
    ]);
  });

  test('inspect of the local store image: layers, history and totals match the tars', async () => {
    const r = await cli.ok(['inspect', '--json', 'waste:1']);
    const report = JSON.parse(r.stdout) as {
      layers: { size: number; uncompressedSize: number; createdBy?: string; added: number; changed: number; deleted: number }[];
      sizeBytes: number;
      wastedBytes: number;
      efficiency: number;
      inefficientPaths: { path: string; count: number; bytes: number }[];
      platforms: string[];
    };
    const expected = expectedWaste(layers.map((l) => l.entries));
    expect(report.sizeBytes).toBe(expected.sizeBytes);
    expect(report.wastedBytes).toBe(expected.wastedBytes);
    expect(report.efficiency).toBeCloseTo(expected.efficiency, 10);
    // 3 MB + 1 MB added then deleted, 2 MB overwritten by 0.5 MB, 200 kB of the base deleted:
    // each counts where it was written and again where it was deleted.
    expect(report.wastedBytes).toBe(2 * 3_000_000 + 2 * 1_000_000 + 2_000_000 + 500_000 + 2 * 200_000);
    expect(report.inefficientPaths.map((p) => p.path)).toEqual(['var/cache/pkgs/big.bin', 'opt.bin', 'var/cache/pkgs/small.bin', 'base.bin']);
    expect(report.layers).toHaveLength(8);
    expect(report.layers[4]!.createdBy).toContain('rm -rf /var/cache/pkgs');
    expect(report.layers[4]!.deleted).toBe(2);
    expect(report.layers[5]!.changed).toBe(1);
    expect(report.layers[2]!.added).toBe(2);
    // The local store keeps layers uncompressed: the blob is the tar.
    for (const l of report.layers) expect(l.size).toBe(l.uncompressedSize);
    expect(report.platforms).toHaveLength(1);

    const text = await cli.ok(['inspect', 'waste:1']);
    expect(text.stdout).toContain(`Wasted bytes:  ${human(expected.wastedBytes)} (${expected.wastedBytes} bytes)`);
    expect(text.stdout).toContain('/var/cache/pkgs/big.bin');
  });

  test('inspect of an OCI archive and of a registry image gives the same totals, with their blob sizes', async () => {
    const expected = expectedWaste(layers.map((l) => l.entries));
    const archive = JSON.parse((await cli.ok(['inspect', '--json', join(work, 'out.tar')])).stdout) as {
      layers: { size: number; digest: string }[];
      wastedBytes: number;
      sizeBytes: number;
      from: string;
    };
    expect(archive.from).toContain('OCI archive');
    expect(archive.wastedBytes).toBe(expected.wastedBytes);
    expect(archive.sizeBytes).toBe(expected.sizeBytes);
    expect(archive.layers.map((l) => [l.digest, l.size])).toEqual(layers.map((l) => [l.digest, l.size]));

    const name = `${registry!.host}/waste:1`;
    await cli.ok(['build', '--progress=quiet', '-o', `type=registry,name=${name}`, ctx]);
    // A fresh root: nothing is local, every listing comes from the registry's blobs.
    const fresh = await tempRoot();
    try {
      const remote = JSON.parse((await bindCli(fresh.root).ok(['inspect', '--json', name])).stdout) as typeof archive;
      expect(remote.from).toBe(`registry ${registry!.host}`);
      expect(remote.wastedBytes).toBe(expected.wastedBytes);
      expect(remote.sizeBytes).toBe(expected.sizeBytes);
      const res = await fetch(`${registry!.url}/v2/waste/manifests/1`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      const stdout = await res.text();
      const manifest = JSON.parse(stdout) as { layers: { size: number }[] };
      expect(remote.layers.map((l) => l.size)).toEqual(manifest.layers.map((l) => l.size));
    } finally {
      await fresh.dispose();
    }
  });

  test('--fail-on-waste exits 1 past the limit (bytes or ratio), and 0 under it', async () => {
    // The build's own dead bytes: 4 MB deleted + 2 MB overwritten.
    const over = await cli.run(['build', '--progress=quiet', '--fail-on-waste', '5MB', '-t', 'waste:1', ctx]);
    expect(over.code).toBe(1);
    expect(over.stderr).toContain('ERROR: the build');
    expect(over.stderr).toContain('6000000 bytes');
    expect((await cli.run(['build', '--progress=quiet', '--fail-on-waste', '7MB', '-t', 'waste:1', ctx])).code).toBe(0);
    // --check-base adds the base's 200 kB.
    expect((await cli.run(['build', '--progress=quiet', '--check-base', '--fail-on-waste', '6.1MB', '-t', 'waste:1', ctx])).code).toBe(1);

    // As a ratio, over the whole image's file bytes (the base's layers included).
    const expected = expectedWaste(layers.map((l) => l.entries));
    const buildRatio = 6_000_000 / expected.sizeBytes;
    expect((await cli.run(['build', '--progress=quiet', '--fail-on-waste', (buildRatio * 0.99).toFixed(4), '-t', 'waste:1', ctx])).code).toBe(1);
    expect((await cli.run(['build', '--progress=quiet', '--fail-on-waste', (buildRatio * 1.01).toFixed(4), '-t', 'waste:1', ctx])).code).toBe(0);

    const ratio = expected.wastedBytes / expected.sizeBytes;
    // Wasted bytes count a deletion twice, so the ratio may pass 100%.
    expect((await cli.run(['inspect', '--fail-on-waste', `${(ratio * 99).toFixed(3)}%`, 'waste:1'])).code).toBe(1);
    expect((await cli.run(['inspect', '--fail-on-waste', `${(ratio * 101).toFixed(3)}%`, 'waste:1'])).code).toBe(0);
    expect((await cli.run(['inspect', '--fail-on-waste', `${expected.wastedBytes}B`, 'waste:1'])).code).toBe(0);
    const bad = await cli.run(['inspect', '--fail-on-waste', '12', 'waste:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --fail-on-waste "12"');
  });

  test('inspect of something that is not an image says what is wrong, exit 1, no stack trace', async () => {
    const notTar = join(work, 'notes.txt');
    await writeFile(notTar, 'hello\n');
    const cases: [string, RegExp][] = [
      [notTar, /invalid archive .*notes\.txt: not a readable tar/],
      [join(work, 'missing.tar'), /missing\.tar: no such file or directory/],
      [`${registry!.host}/nothing:here`, /nothing/],
    ];
    for (const [arg, message] of cases) {
      const r = await cli.run(['inspect', arg]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(stackLines(r.stderr)).toEqual([]);
    }
  });
});
