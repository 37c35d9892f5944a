// Runs the tar-layer safety cases (tar-cases/, generated at test time) against applyLayer.
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLayer, readXattrs } from '../../../oci/layer/index.ts';

interface ExpectedEntry {
  type: string;
  content?: string;
  target?: string;
  mode?: string;
  sameFileAs?: string;
  mtime?: number;
  xattrs?: Record<string, string>;
  xattrsOptional?: boolean;
  optional?: boolean;
}
interface Case {
  id: string;
  tar: string;
  lowerTar: string | null;
  outcome: 'success' | 'error' | 'success-or-error';
  treeExact: boolean;
  tree: Record<string, ExpectedEntry> | null;
  absent: string[];
}
interface Expected {
  outsideDir: string;
  outsideSentinel: { path: string; content: string; mode: string };
  cases: Case[];
}

// Generated at collection time so that each case is its own test.
const casesDir = mkdtempSync(join(tmpdir(), 'tsbuild-tar-cases-'));
execFileSync(process.execPath, [join(import.meta.dirname, 'tar-cases', 'make-cases.mjs'), casesDir], { stdio: 'ignore' });
const expected = JSON.parse(readFileSync(join(casesDir, 'expected.json'), 'utf8')) as Expected;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tsbuild-tar-roots-'));
});

afterAll(async () => {
  await rm(casesDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

const SENTINEL_MTIME = new Date('2021-01-01T00:00:00Z');

async function resetOutside(e: Expected): Promise<void> {
  await rm(e.outsideDir, { recursive: true, force: true });
  await mkdir(e.outsideDir, { recursive: true });
  await writeFile(e.outsideSentinel.path, e.outsideSentinel.content);
  await chmod(e.outsideSentinel.path, parseInt(e.outsideSentinel.mode, 8));
  const { utimes } = await import('node:fs/promises');
  await utimes(e.outsideSentinel.path, SENTINEL_MTIME, SENTINEL_MTIME);
  await utimes(e.outsideDir, SENTINEL_MTIME, SENTINEL_MTIME);
}

async function checkOutside(e: Expected): Promise<void> {
  expect(await readdir(e.outsideDir)).toEqual(['sentinel']);
  const st = await lstat(e.outsideSentinel.path);
  expect(st.isFile()).toBe(true);
  expect((st.mode & 0o7777).toString(8).padStart(4, '0')).toBe(e.outsideSentinel.mode);
  expect(st.mtimeMs).toBe(SENTINEL_MTIME.getTime());
  expect(await readFile(e.outsideSentinel.path, 'utf8')).toBe(e.outsideSentinel.content);
  expect((await lstat(e.outsideDir)).mtimeMs).toBe(SENTINEL_MTIME.getTime());
}

async function listTree(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(rel === '' ? root : join(root, rel))).sort()) {
    const p = rel === '' ? name : `${rel}/${name}`;
    out.push(p);
    if ((await lstat(join(root, p))).isDirectory()) out.push(...(await listTree(root, p)));
  }
  return out;
}

function typeOf(st: Awaited<ReturnType<typeof lstat>>): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'other';
}

async function checkTree(root: string, c: Case): Promise<void> {
  const tree = c.tree!;
  const actual = await listTree(root);
  for (const p of actual) expect(p, `whiteout materialised: ${p}`).not.toMatch(/(^|\/)\.wh\./);
  if (c.treeExact) {
    const required = Object.entries(tree)
      .filter(([, v]) => !v.optional)
      .map(([k]) => k)
      .sort();
    const allowed = new Set(Object.keys(tree));
    for (const p of required) expect(actual, `missing ${p}`).toContain(p);
    for (const p of actual) expect(allowed.has(p), `unexpected ${p}`).toBe(true);
  }
  for (const [p, want] of Object.entries(tree)) {
    const abs = join(root, p);
    const st = await lstat(abs).catch(() => null);
    if (!st) {
      expect(want.optional, `missing ${p}`).toBe(true);
      continue;
    }
    expect(typeOf(st), `type of ${p}`).toBe(want.type);
    if (want.content !== undefined) expect(await readFile(abs, 'utf8'), `content of ${p}`).toBe(want.content);
    if (want.target !== undefined) expect(await readlink(abs), `target of ${p}`).toBe(want.target);
    if (want.mode !== undefined) expect((st.mode & 0o7777).toString(8).padStart(4, '0'), `mode of ${p}`).toBe(want.mode);
    if (want.mtime !== undefined) expect(Math.floor(st.mtimeMs / 1000), `mtime of ${p}`).toBe(want.mtime);
    if (want.sameFileAs !== undefined) expect(st.ino, `${p} is a hardlink of ${want.sameFileAs}`).toBe((await lstat(join(root, want.sameFileAs))).ino);
    if (want.xattrs !== undefined) {
      const got = await readXattrs(abs);
      for (const [k, v] of Object.entries(want.xattrs)) {
        if (want.xattrsOptional && !got.has(k)) continue;
        expect(got.get(k)?.toString(), `xattr ${k} of ${p}`).toBe(v);
      }
    }
  }
  for (const p of c.absent) expect(await lstat(join(root, p)).catch(() => null), `${p} should be absent`).toBeNull();
}

describe('tar-cases conformance', () => {
  it('has cases', () => {
    expect(expected.cases.length).toBeGreaterThan(0);
  });

  for (const c of expected.cases) {
    it(`${c.id} (${c.outcome})`, async () => {
      await resetOutside(expected);
      const root = join(work, c.id);
      await mkdir(root);
      try {
        if (c.lowerTar) await applyLayer(root, createReadStream(join(casesDir, c.lowerTar)));
        let error: unknown = null;
        try {
          await applyLayer(root, createReadStream(join(casesDir, c.tar)));
        } catch (e) {
          error = e;
        }
        if (c.outcome === 'error') expect(error, `${c.id} must be rejected`).not.toBeNull();
        if (c.outcome === 'success') expect(error, `${c.id} must apply: ${String(error)}`).toBeNull();
        if (error === null && c.tree) await checkTree(root, c);
        if (error !== null) expect((error as Error).message).not.toMatch(/^\s*at /);
      } finally {
        // Whatever the outcome, nothing outside the root changed.
        await checkOutside(expected);
      }
    });
  }
});
