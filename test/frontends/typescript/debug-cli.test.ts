// End to end through the CLI: `tsbuild debug build-llb build.ts | tsbuild debug dump-llb`.
// (Kept next to the frontend's tests; it exercises cli/commands/debug*.ts.)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeDefinition, definitionFromBytes } from '../../../llb/index.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tsbuild-debug-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tsbuild = (args: string[], input?: Uint8Array | string) => spawnSync(process.execPath, [bin, ...args], { cwd: repo, input, maxBuffer: 64 << 20 });

describe('tsbuild debug', () => {
  it('build-llb | dump-llb prints one JSON object per op, terminal last', () => {
    const pipeline = execFileSync('sh', ['-c', `node ${bin} debug build-llb --platform linux/amd64 examples/hello/build.ts | node ${bin} debug dump-llb`], {
      cwd: repo,
      encoding: 'utf8',
    });
    const ops = pipeline
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ops.map((o) => o.kind)).toEqual(['source', 'exec', 'file', 'merge', 'terminal']);
    expect(ops[0].op.source.identifier).toBe('docker-image://docker.io/library/busybox:latest');
    expect(ops[1].metadata.description).toEqual({ 'llb.customname': 'write greeting' });
    expect(ops[4].inputs).toEqual([ops[3].digest]);
    for (const o of ops) expect(o.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('build-llb writes Definition bytes that decode, identical across runs', () => {
    const a = tsbuild(['debug', 'build-llb', '--platform', 'linux/amd64', 'examples/hello/build.ts']);
    const b = tsbuild(['debug', 'build-llb', '--platform', 'linux/amd64', 'examples/hello/build.ts']);
    expect(a.status, a.stderr.toString()).toBe(0);
    expect(Buffer.compare(a.stdout, b.stdout)).toBe(0);
    expect(decodeDefinition(definitionFromBytes(a.stdout)).ops).toHaveLength(4);
  });

  it('dump-llb reads a file argument too', () => {
    const bytes = tsbuild(['debug', 'build-llb', 'examples/hello/build.ts']).stdout;
    const fromStdin = tsbuild(['debug', 'dump-llb', '-'], bytes).stdout.toString();
    const file = join(tmp, 'hello.llb');
    writeFileSync(file, bytes);
    expect(fromStdin.split('\n')).toHaveLength(6);
    expect(tsbuild(['debug', 'dump-llb', file]).stdout.toString()).toBe(fromStdin);
  });

  it('dump-llb rejects bad input with exit 1 and the decode error, no stack', () => {
    const r = tsbuild(['debug', 'dump-llb'], 'FROM busybox\n');
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/^error: invalid LLB definition: not an LLB definition: /);
    expect(r.stderr.toString()).not.toMatch(/\n\s+at /);
    const truncated = tsbuild(['debug', 'build-llb', 'examples/hello/build.ts']).stdout.subarray(0, 60);
    const t = tsbuild(['debug', 'dump-llb'], truncated);
    expect(t.status).toBe(1);
    expect(t.stderr.toString()).toMatch(/^error: invalid LLB definition/);
  });

  it("build-llb reports program errors at the user's line, and compiles Dockerfiles too", () => {
    const r = tsbuild(['debug', 'build-llb', 'test/frontends/typescript/fixtures/throws-in-function.ts']);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe(
      'error: test/frontends/typescript/fixtures/throws-in-function.ts:5:15: dir("relative/path"): relative path, but the state has no working directory to resolve it against; use an absolute path such as "/relative/path"\n',
    );
    const missing = tsbuild(['debug', 'build-llb', 'Dockerfile']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString()).toBe('error: cannot read Dockerfile: no such file\n');
    // Offline: --no-resolve compiles a Dockerfile without looking its base image up.
    const d = tsbuild(['debug', 'build-llb', '--no-resolve', 'examples/app/Dockerfile']);
    expect(d.status).toBe(0);
    expect(decodeDefinition(definitionFromBytes(d.stdout)).ops.length).toBeGreaterThan(3);
  });

  it('has --help for each subcommand', () => {
    for (const args of [
      ['debug', '--help'],
      ['debug', 'build-llb', '--help'],
      ['debug', 'dump-llb', '--help'],
      ['debug', 'dump-dockerfile', '--help'],
    ]) {
      const r = tsbuild(args);
      expect(r.status).toBe(0);
      expect(r.stdout.toString()).toMatch(/^Usage: tsbuild debug/);
    }
    expect(tsbuild(['debug', 'nope']).status).toBe(2);
  });
});
