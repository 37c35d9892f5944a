// Watched contexts: a second checksum of an unchanged tree recalls directories instead of walking
// them, and after every kind of change the digest and the files reported equal those of a hasher
// that walks the whole tree. Needs the native module (inotify), which setup builds.
import { link, mkdir, mkdtemp, rename, rm, writeFile, chmod, utimes, appendFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContentHasher, TreeWatches, WatchedTree, watchContexts } from '../../../executor/contenthash/index.ts';
import { nativeSys } from '../../../oci/index.ts';

const made: string[] = [];
let root: string;
let outside: string;

async function files(dir: string, content: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(content)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
}

/** Digest and files reported, from a hasher of its own (watched when the process watches). */
async function hashed(dir: string, watch: boolean): Promise<{ digest: string; files: Map<string, string>; recalled: number }> {
  const h = new ContentHasher();
  const seen = new Map<string, string>();
  const onFile = (host: string, _st: BigIntStats, digest: string) => void seen.set(host, digest);
  const digest = await h.checksum(dir, { onFile, watch });
  return { digest, files: seen, recalled: h.stats.dirsRecalled };
}

/** Watched and walked hashes agree; returns how many directories the watched one recalled. */
async function agree(dir = root): Promise<number> {
  const watched = await hashed(dir, true);
  const walked = await hashed(dir, false);
  expect(watched.digest).toBe(walked.digest);
  expect(new Map([...watched.files].sort())).toEqual(new Map([...walked.files].sort()));
  return watched.recalled;
}

beforeAll(async () => {
  if (!nativeSys()) throw new Error('the native module is not built: run scripts/setup.sh');
  watchContexts(true);
  outside = await mkdtemp(join(tmpdir(), 'tsbuild-tw-out-'));
  made.push(outside);
});

afterAll(async () => {
  watchContexts(false);
  for (const d of made) await rm(d, { recursive: true, force: true });
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsbuild-tw-'));
  made.push(root);
  await files(root, { 'a/one.txt': '1', 'a/deep/two.txt': '2', 'b/three.txt': '3', 'c/four.txt': '4', 'top.txt': 'top' });
});

describe('watched contexts', () => {
  it('recall an unchanged tree without walking it, with the same digest and files', async () => {
    expect(await agree()).toBe(0);
    // The root's memory covers everything below it.
    expect(await agree()).toBe(1);
  });

  it('walk again only the directories a change touched, and their ancestors', async () => {
    await agree();
    await writeFile(join(root, 'a/deep/two.txt'), 'two, edited');
    // root, a and a/deep are walked; b and c are recalled.
    expect(await agree()).toBe(2);
    await appendFile(join(root, 'top.txt'), '!');
    expect(await agree()).toBe(3);
  });

  it('see new, removed and renamed files and directories, modes and times', async () => {
    await agree();
    await files(root, { 'new/sub/n.txt': 'n' });
    await agree();
    // A file made in the new directory after it was first seen: the new directory is watched too.
    await writeFile(join(root, 'new/sub/later.txt'), 'later');
    await agree();
    await rm(join(root, 'b'), { recursive: true });
    await agree();
    await rename(join(root, 'c/four.txt'), join(root, 'c/renamed.txt'));
    await agree();
    await chmod(join(root, 'a/one.txt'), 0o600);
    await agree();
    await utimes(join(root, 'a/deep'), new Date(1000), new Date(1000));
    await agree();
    expect(await agree()).toBe(1);
  });

  it('see a directory moved inside the tree, by watching it anew', async () => {
    await agree();
    await rename(join(root, 'a/deep'), join(root, 'c/deep'));
    await agree();
    await writeFile(join(root, 'c/deep/two.txt'), 'moved, then edited');
    await agree();
    expect(await agree()).toBe(1);
  });

  it('see a write through a hard link from outside the tree', async () => {
    await writeFile(join(outside, 'shared.txt'), 'shared');
    await link(join(outside, 'shared.txt'), join(root, 'b/shared.txt'));
    await agree();
    expect(await agree()).toBe(1);
    await writeFile(join(outside, 'shared.txt'), 'written outside');
    expect(await agree()).toBeLessThan(3);
  });

  it('keep no memo for a directory without a watch, and open a replaced root anew', async () => {
    const tree = WatchedTree.open(root)!;
    try {
      // Made while a walk ran, before the poll that adds its watch.
      await mkdir(join(root, 'made-meanwhile'));
      tree.remember(join(root, 'made-meanwhile'), { digest: 'sha256:00', files: [], dirs: [] }, tree.generation);
      expect(tree.recall(join(root, 'made-meanwhile'))).toBeUndefined();
      expect(tree.poll()).toBe(true);
      tree.remember(join(root, 'made-meanwhile'), { digest: 'sha256:00', files: [], dirs: [] }, tree.generation);
      expect(tree.recall(join(root, 'made-meanwhile'))?.digest).toBe('sha256:00');
      // The root moved away and another directory put in its place.
      await rename(root, `${root}-old`);
      made.push(`${root}-old`);
      await mkdir(root);
      expect(tree.poll()).toBe(false);
    } finally {
      tree.close();
    }
    expect(await agree()).toBe(0);
  });

  it('watch only local filesystems, and forget a context when told', async () => {
    expect(WatchedTree.open('/proc/sys')).toBeUndefined();
    const watches = new TreeWatches();
    const first = watches.for(root)!;
    expect(watches.for(root)).toBe(first);
    watches.forget(root);
    expect(first.broken).toBe(true);
    const again = watches.for(root)!;
    expect(again).not.toBe(first);
    watches.close();
  });

  it('keep nothing a poll overlapped, and give up on trees past their limits', async () => {
    const tree = WatchedTree.open(root)!;
    try {
      const generation = tree.generation;
      await writeFile(join(root, 'b/three.txt'), 'changed while walking');
      expect(tree.poll()).toBe(true);
      tree.remember(join(root, 'b'), { digest: 'sha256:00', files: [], dirs: [] }, generation);
      expect(tree.recall(join(root, 'b'))).toBeUndefined();
      tree.remember(join(root, 'b'), { digest: 'sha256:00', files: [], dirs: [] }, tree.generation);
      expect(tree.recall(join(root, 'b'))?.digest).toBe('sha256:00');
    } finally {
      tree.close();
    }
    expect(WatchedTree.open(root, 3)).toBeUndefined();
    const small = new TreeWatches({ maxDirs: 3 });
    expect(small.for(root)).toBeUndefined();
    const few = new TreeWatches({ maxTrees: 1 });
    const first = few.for(root)!;
    expect(few.for(outside)).toBeDefined();
    expect(first.broken).toBe(true);
    few.close();
  });
});
