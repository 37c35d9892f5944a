// `tsbuild du` and `tsbuild prune` as a user runs them, on a root with a cached build.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acquireBuildLock } from '../../executor/index.ts';
import { appGraph, build, harness, ok, tagResult } from '../executor/gc/helpers.ts';

const bin = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');

describe('tsbuild du / prune', () => {
  let root: string;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, TSBUILD_ROOT: root, TSBUILD_SNAPSHOTTER: 'native' }, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsbuild-gc-cli-'));
    const h = await harness({ snapshotter: 'native' }, root);
    await tagResult(h, ok(await build(h, appGraph('x'))), 'tsbuild.test/cli:1');
    ok(await build(h, appGraph('y')));
    await h.close();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('--help on both', () => {
    const du = cli('du', '--help');
    expect(du.code).toBe(0);
    expect(du.out).toMatch(/Usage: tsbuild du/);
    const pr = cli('prune', '--help');
    expect(pr.code).toBe(0);
    for (const flag of ['--all', '--keep-storage', '--filter until=', '--force', '--dry-run']) expect(pr.out).toContain(flag);
  });

  test('du prints the table, and results with --verbose', () => {
    const r = cli('du');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^TYPE\s+COUNT\s+SIZE\s+RECLAIMABLE$/m);
    expect(r.out).toMatch(/^snapshots\s+[1-9]\d*\s+\S+\s+\S+$/m);
    expect(r.out).toMatch(/^Total\s+\S+\s+\S+$/m);
    const v = cli('du', '--verbose');
    expect(v.out).toMatch(/^RESULT\s+SIZE\s+LAST USED\s+KEYS\s+DESCRIPTION$/m);
    expect(v.out).toMatch(/^r-[0-9a-f]{24}\s+\S+\s+(just now|\d+ seconds? ago)\s+\d\s+write y$/m);
    const j = JSON.parse(cli('du', '--json').out) as { records: number };
    expect(j.records).toBeGreaterThan(0);
  });

  test('usage errors exit 2', () => {
    expect(cli('prune', '--keep-storage', 'lots').code).toBe(2);
    const f = cli('prune', '--filter', 'type=regular');
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/only until=/);
    expect(cli('prune', '--filter', 'until=3 days').code).toBe(2);
    expect(cli('du', 'extra').code).toBe(2);
  });

  test('prune refuses while a build runs (exit 1), --force overrides', async () => {
    const release = await acquireBuildLock(root);
    try {
      const r = cli('prune', '--all');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^error: a build is running .*--force/m);
      expect(r.err).not.toMatch(/\n\s+at /);
      const dry = cli('prune', '--all', '--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/^Would remove: \d+ cached results/m);
      const forced = cli('prune', '--force', '--filter', 'until=1000h');
      expect(forced.code).toBe(0);
      expect(forced.err).toMatch(/^warning: pruned while 1 build\(s\) were running/m);
    } finally {
      await release();
    }
  });

  test('prune --all reports what it reclaimed and du shows less', () => {
    const before = JSON.parse(cli('du', '--json').out) as { size: number; records: number };
    const r = cli('prune', '--all');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Removed: \d+ cached results \(\d+ cache keys\), \d+ refs, [1-9]\d* snapshots, \d+ blobs/m);
    expect(r.out).toMatch(/^Total reclaimed: \d+(\.\d+)?[kMG]?B$/m);
    const after = JSON.parse(cli('du', '--json').out) as { size: number; records: number };
    expect(after.records).toBe(0);
    expect(after.size).toBeLessThan(before.size);
    expect(cli('prune').out).toMatch(/^Total reclaimed: 0B$/m);
  });
});
