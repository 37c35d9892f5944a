// http and git sources through the solver (no runner needed).
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { git, http } from '../../../llb/index.ts';
import { requirePrereqs } from '../../support/require-root.ts';
import { build, harness, ok, type Harness } from '../e2e/helpers.ts';

const run = requirePrereqs({ commands: ['git'] });

describe.runIf(run)('http and git sources', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  let repo: string;
  let body = 'payload-1';
  let gets = 0;

  beforeAll(async () => {
    h = await harness({ snapshotter: 'native' });
    server = createServer((req, res) => {
      gets++;
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { etag }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    repo = await mkdtemp(join(tmpdir(), 'tsbuild-git-'));
    const g = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@t', '-c', 'user.name=t', ...args]);
    g('init', '-q', '-b', 'main');
    await writeFile(join(repo, 'README'), 'v1');
    g('add', '.');
    g('commit', '-q', '-m', 'one');
  });
  afterAll(async () => {
    await h?.close();
    server?.close();
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  test('http: downloads into a file with the mode asked, verifies the checksum', async () => {
    const b = await build(h, http(`${base}/tool.sh`, { chmod: 0o755 }));
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'tool.sh'), 'utf8')).toBe('payload-1');
      expect((await stat(join(dir.path, 'tool.sh'))).mode & 0o777).toBe(0o755);
    } finally {
      await dir.release();
    }
    const bad = await build(h, http(`${base}/other`, { checksum: `sha256:${'0'.repeat(64)}` }));
    expect(bad.outcome.ok).toBe(false);
    if (!bad.outcome.ok) expect(bad.outcome.failure.message).toContain('checksum mismatch');
  });

  test('http: an unchanged URL is revalidated, a changed one rebuilds', async () => {
    await h.reopen();
    let b = await build(h, http(`${base}/tool.sh`, { chmod: 0o755 }));
    ok(b);
    expect(b.ran).toEqual([]);
    body = 'payload-2';
    await h.reopen();
    b = await build(h, http(`${base}/tool.sh`, { chmod: 0o755 }));
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'tool.sh'), 'utf8')).toBe('payload-2');
    } finally {
      await dir.release();
    }
    expect(gets).toBeGreaterThan(0);
  });

  test('git: a branch is checked out without .git, and keyed on its commit', async () => {
    const b = await build(h, git(`file://${repo}`, 'main'));
    const dir = await h.executor.readableDir(ok(b));
    try {
      expect(await readFile(join(dir.path, 'README'), 'utf8')).toBe('v1');
      await expect(stat(join(dir.path, '.git'))).rejects.toThrow();
    } finally {
      await dir.release();
    }
    await h.reopen();
    const again = await build(h, git(`file://${repo}`, 'main'));
    ok(again);
    expect(again.ran).toEqual([]);
  });
});
