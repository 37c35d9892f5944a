import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumPathError, ContentHasher } from '../../../executor/contenthash/index.ts';

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-manifest-'));
  made.push(root);
  const files: Record<string, string> = {
    'src/index.ts': 'export {}\n',
    'src/util/a.ts': 'a\n',
    'src/util/a.test.ts': 'test\n',
    'package.json': '{}\n',
    'package-lock.json': '{"lock":1}\n',
    'docs/readme.md': '# hi\n',
  };
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), content);
  }
});

describe('ContentHasher.manifest', () => {
  it('lists every selected entry with its own digest, directories with a trailing slash', async () => {
    const m = await new ContentHasher().manifest(root);
    expect([...m.keys()]).toEqual([
      'docs/',
      'docs/readme.md',
      'package-lock.json',
      'package.json',
      'src/',
      'src/index.ts',
      'src/util/',
      'src/util/a.test.ts',
      'src/util/a.ts',
    ]);
    for (const d of m.values()) expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('changes exactly the digest of the edited file, and sees chmod, additions and removals', async () => {
    const hasher = new ContentHasher();
    const before = await hasher.manifest(root);
    await writeFile(join(root, 'src/index.ts'), 'export const x = 1;\n');
    await chmod(join(root, 'package.json'), 0o755);
    await rm(join(root, 'docs/readme.md'));
    await symlink('index.ts', join(root, 'src/link'));
    const after = await hasher.manifest(root);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
    expect(changed).toEqual(['docs/readme.md', 'package.json', 'src/index.ts', 'src/link']);
  });

  it('applies include/exclude patterns like checksum, and prefixes entries with the path', async () => {
    const hasher = new ContentHasher();
    const sel = await hasher.manifest(root, { path: '/src', exclude: ['**/*.test.ts'] });
    expect([...sel.keys()]).toEqual(['src/', 'src/index.ts', 'src/util/', 'src/util/a.ts']);
    const inc = await hasher.manifest(root, { include: ['package*.json'] });
    expect([...inc.keys()]).toEqual(['package-lock.json', 'package.json']);
  });

  it('expands wildcards and lists a single file under its own path', async () => {
    const hasher = new ContentHasher();
    const wild = await hasher.manifest(root, { path: '/package*.json', wildcard: true });
    expect([...wild.keys()]).toEqual(['package-lock.json', 'package.json']);
    expect(await hasher.manifest(root, { path: '/nothing*', wildcard: true })).toEqual(new Map());
    const one = await hasher.manifest(root, { path: 'src/index.ts' });
    expect([...one.keys()]).toEqual(['src/index.ts']);
    await expect(hasher.manifest(root, { path: '/missing' })).rejects.toBeInstanceOf(ChecksumPathError);
  });

  it('reuses the file-hash cache: an unchanged tree is listed without reading file contents', async () => {
    const cacheFile = join(root, '..', `${root.split('/').pop()}-cache.json`);
    made.push(cacheFile);
    const first = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    const a = await first.manifest(root);
    await first.flush();
    // Files written within the same clock tick as their hash are re-read once (racily clean);
    // after one more pass every entry is trusted.
    const second = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    expect(await second.manifest(root)).toEqual(a);
    await second.flush();
    const third = new ContentHasher({ cacheFile, racyWindowMs: 0 });
    expect(await third.manifest(root)).toEqual(a);
    expect(third.stats).toMatchObject({ filesRead: 0, cacheHits: 6 });
  });
});
