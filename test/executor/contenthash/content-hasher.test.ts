import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumPathError, checksum, ContentHasher, EMPTY_DIGEST } from '../../../executor/contenthash/index.ts';

let root: string;
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
  for (const d of made) await rm(`${d}-cache.json`, { force: true });
  for (const d of made) await rm(`${d}-bad.json`, { force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-ch-'));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

beforeEach(async () => {
  root = await tree({
    'app/main.ts': 'console.log(1)\n',
    'app/util.ts': 'export {}\n',
    'app/util.test.ts': 'test\n',
    'docs/readme.md': '# hi\n',
    'big.bin': 'x'.repeat(3 * 1024 * 1024),
    'top.txt': 'top\n',
  });
});

describe('checksum', () => {
  it("is stable, a sha256 digest, and independent of the tree's location and of mtimes", async () => {
    const a = await checksum(root);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await checksum(root)).toBe(a);
    const copy = await tree({
      'app/main.ts': 'console.log(1)\n',
      'app/util.ts': 'export {}\n',
      'app/util.test.ts': 'test\n',
      'docs/readme.md': '# hi\n',
      'big.bin': 'x'.repeat(3 * 1024 * 1024),
      'top.txt': 'top\n',
    });
    await utimes(join(copy, 'top.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
    await utimes(join(copy, 'app'), new Date('2001-01-01'), new Date('2001-01-01'));
    await chmod(copy, 0o700); // the root directories' modes may differ between mkdtemp calls
    await chmod(root, 0o700);
    expect(await checksum(copy)).toBe(await checksum(root));
  });

  it('changes with content, mode, names and symlink targets', async () => {
    const base = await checksum(root);
    await writeFile(join(root, 'app/main.ts'), 'console.log(2)\n');
    const edited = await checksum(root);
    expect(edited).not.toBe(base);
    await chmod(join(root, 'top.txt'), 0o755);
    const chmodded = await checksum(root);
    expect(chmodded).not.toBe(edited);
    await symlink('top.txt', join(root, 'link'));
    const linked = await checksum(root);
    expect(linked).not.toBe(chmodded);
    await rm(join(root, 'link'));
    await symlink('app', join(root, 'link'));
    expect(await checksum(root)).not.toBe(linked);
  });

  it('distinguishes an empty file from an empty directory and a missing entry', async () => {
    const withFile = await checksum(root, { path: '/' });
    await mkdir(join(root, 'empty'));
    const withDir = await checksum(root);
    expect(withDir).not.toBe(withFile);
    await rm(join(root, 'empty'), { recursive: true });
    await writeFile(join(root, 'empty'), '');
    expect(await checksum(root)).not.toBe(withDir);
  });

  it('hashes only the selected path: unrelated changes do not matter', async () => {
    const app = await checksum(root, { path: 'app' });
    const main = await checksum(root, { path: '/app/main.ts' });
    await writeFile(join(root, 'docs/readme.md'), 'changed\n');
    await writeFile(join(root, 'new.txt'), 'new\n');
    expect(await checksum(root, { path: 'app' })).toBe(app);
    expect(await checksum(root, { path: 'app/main.ts' })).toBe(main);
    await writeFile(join(root, 'app/util.ts'), 'changed\n');
    expect(await checksum(root, { path: 'app' })).not.toBe(app);
    expect(await checksum(root, { path: 'app/main.ts' })).toBe(main);
  });

  it('applies include and exclude patterns relative to the path', async () => {
    const opts = { path: 'app', exclude: ['**/*.test.ts'] };
    const d = await checksum(root, opts);
    await writeFile(join(root, 'app/util.test.ts'), 'changed\n');
    expect(await checksum(root, opts)).toBe(d);
    await writeFile(join(root, 'app/util.ts'), 'changed\n');
    expect(await checksum(root, opts)).not.toBe(d);

    const onlyDocs = { include: ['docs', '*.txt'] };
    const i = await checksum(root, onlyDocs);
    await writeFile(join(root, 'app/main.ts'), 'changed\n');
    expect(await checksum(root, onlyDocs)).toBe(i);
    await writeFile(join(root, 'top.txt'), 'changed\n');
    expect(await checksum(root, onlyDocs)).not.toBe(i);
  });

  it('hashes the matches of a wildcard path', async () => {
    const ts = { path: 'app/*.ts', wildcard: true };
    const d = await checksum(root, ts);
    await writeFile(join(root, 'app/notes.md'), 'x\n');
    expect(await checksum(root, ts)).toBe(d);
    await writeFile(join(root, 'app/extra.ts'), 'x\n');
    expect(await checksum(root, ts)).not.toBe(d);
    // one match: the digest of that entry itself
    expect(await checksum(root, { path: 'ap?/main.ts', wildcard: true })).toBe(await checksum(root, { path: 'app/main.ts' }));
    expect(await checksum(root, { path: 'nothing-*', wildcard: true })).toBe(EMPTY_DIGEST);
  });

  it('follows a final symlink only when asked, and never out of the root', async () => {
    await symlink('/app/main.ts', join(root, 'abs-link'));
    await symlink('../../../../../../etc/passwd', join(root, 'escape'));
    const target = await checksum(root, { path: 'app/main.ts' });
    expect(await checksum(root, { path: 'abs-link', followLinks: true })).toBe(target);
    expect(await checksum(root, { path: 'abs-link' })).not.toBe(target);
    // `..` stops at the root: the link resolves to <root>/etc/passwd, which does not exist
    await expect(checksum(root, { path: 'escape', followLinks: true })).rejects.toBeInstanceOf(ChecksumPathError);
  });

  it('rejects a missing path clearly', async () => {
    await expect(checksum(root, { path: 'nope/x' })).rejects.toThrow('nope/x: no such file or directory');
  });
});

describe('ContentHasher cache', () => {
  it('re-reads nothing when nothing changed, and only the touched or edited file otherwise', async () => {
    const cacheFile = join(root, '..', `${root.split('/').at(-1)}-cache.json`);
    const first = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    const d = await first.checksum(root);
    expect(first.stats.filesRead).toBe(6);
    await first.flush();

    // A new process: the cache comes from disk.
    const second = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    expect(await second.checksum(root)).toBe(d);
    expect(second.stats).toMatchObject({ filesRead: 0, cacheHits: 6 });

    await utimes(join(root, 'big.bin'), new Date('2020-01-01'), new Date('2020-01-01'));
    expect(await second.checksum(root)).toBe(d);
    expect(second.stats.filesRead).toBe(1);
    expect(second.stats.bytesRead).toBe(3 * 1024 * 1024);

    await writeFile(join(root, 'docs/readme.md'), '# hI\n'); // same size, new bytes
    expect(await second.checksum(root)).not.toBe(d);
    expect(second.stats.filesRead).toBe(2);
  });

  it('gives the same digests when the worker threads read the small files in batches', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`d${i % 7}/f${i}.txt`] = `file ${i}\n`.repeat(i % 13);
    const dir = await tree(files);
    const read = async (inlineReads: number) => {
      const h = new ContentHasher({ inlineReads });
      const seen = new Map<string, string>();
      const digest = await h.checksum(dir, { onFile: (host, _st, d) => void seen.set(host, d) });
      return { digest, seen, read: h.stats.filesRead };
    };
    const inline = await read(Infinity);
    const pooled = await read(0);
    const mixed = await read(50);
    expect([pooled.read, mixed.read, inline.read]).toEqual([300, 300, 300]);
    expect(pooled.digest).toBe(inline.digest);
    expect(mixed.digest).toBe(inline.digest);
    expect(pooled.seen).toEqual(inline.seen);
    // A file the pool reads after it changed differs from what an inline read gives.
    await writeFile(join(dir, 'd3/f3.txt'), 'changed\n');
    expect((await read(0)).digest).not.toBe(inline.digest);
    expect((await read(0)).digest).toBe((await read(Infinity)).digest);
  });

  it('does not trust entries for files changed just before they were hashed', async () => {
    const hasher = new ContentHasher({ racyWindowMs: 60_000 });
    const d = await hasher.checksum(root, { path: 'top.txt' });
    expect(await hasher.checksum(root, { path: 'top.txt' })).toBe(d);
    expect(hasher.stats).toMatchObject({ filesRead: 2, cacheHits: 0 });
  });

  it('gives a cached file a new digest when only its mode changes', async () => {
    const hasher = new ContentHasher({ racyWindowMs: 0 });
    const before = await hasher.checksum(root, { path: 'top.txt' });
    await chmod(join(root, 'top.txt'), 0o600);
    const after = await hasher.checksum(root, { path: 'top.txt' });
    expect(after).not.toBe(before);
    expect(after).toBe(await checksum(root, { path: 'top.txt' }));
  });

  it('re-reads only the file whose cache line is damaged', async () => {
    const cacheFile = join(root, '..', `${root.split('/').at(-1)}-damaged.json`);
    const first = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    const d = await first.checksum(root);
    await first.flush();
    const lines = (await readFile(cacheFile, 'utf8')).split('\n');
    const i = lines.findIndex((l) => l.startsWith(join(root, 'top.txt') + '\t'));
    expect(i).toBeGreaterThan(0);
    lines[i] = lines[i]!.split('\t').slice(0, 3).join('\t'); // a field lost
    await writeFile(cacheFile, lines.join('\n'));
    const second = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    expect(await second.checksum(root)).toBe(d);
    expect(second.stats).toMatchObject({ filesRead: 1, cacheHits: 5 });
  });

  it('remembers files whose names hold a tab, a newline or a percent sign', async () => {
    const dir = join(root, '..', `${root.split('/').at(-1)}-odd`);
    await mkdir(dir, { recursive: true });
    for (const name of ['a\tb', 'c\nd', 'e%09f', '%25']) await writeFile(join(dir, name), name);
    const cacheFile = join(root, '..', `${root.split('/').at(-1)}-odd-cache`);
    const first = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    const d = await first.checksum(dir);
    await first.flush();
    const second = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    expect(await second.checksum(dir)).toBe(d);
    expect(second.stats).toMatchObject({ filesRead: 0, cacheHits: 4 });
  });

  it('survives a corrupt cache file', async () => {
    const cacheFile = join(root, '..', `${root.split('/').at(-1)}-bad.json`);
    await writeFile(cacheFile, '{not json');
    const hasher = new ContentHasher({ cacheFile });
    expect(await hasher.checksum(root)).toBe(await checksum(root));
  });
});
