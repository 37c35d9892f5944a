// fsutil's packet protocol both ways: our DiffCopy sender (what the daemon reads a context with)
// feeding our FileSend receiver (what a `type=local` export comes back through), over an
// in-memory call pair. The tree that arrives is the tree that was selected, in order, with
// modes, symlinks and contents; entries that would escape the destination are refused.
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diffCopy } from '../../remote/filesync.ts';
import { receiveDir } from '../../remote/filereceive.ts';
import type { ServerCall } from '../../remote/grpc.ts';
import { Writer } from '../../remote/wire.ts';
import { MessageQueue } from '../../remote/message-queue.ts';
import { PathFilter } from '../../executor/index.ts';

function callPair(metadata: Record<string, string | string[]>): [ServerCall, ServerCall, () => void] {
  const toReceiver = new MessageQueue<Uint8Array>();
  const toSender = new MessageQueue<Uint8Array>();
  const sender: ServerCall = { path: 'sender', metadata, messages: toSender, send: async (m) => toReceiver.push(m) };
  const receiver: ServerCall = { path: 'receiver', metadata: {}, messages: toReceiver, send: async (m) => toSender.push(m) };
  return [sender, receiver, () => (toReceiver.end(), toSender.end())];
}

describe('filesync: DiffCopy sender to FileSend receiver', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tsbuild-filesync-'));
  });
  afterAll(async () => rm(work, { recursive: true, force: true }));

  test('the selected entries arrive with contents, modes and links; excluded ones do not', async () => {
    const src = join(work, 'src');
    await mkdir(join(src, 'a', 'deep'), { recursive: true });
    await mkdir(join(src, 'a.d'));
    await mkdir(join(src, 'skip'));
    await writeFile(join(src, 'a', 'deep', 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a));
    await writeFile(join(src, 'a', 'x.sh'), '#!/bin/sh\n');
    await chmod(join(src, 'a', 'x.sh'), 0o750);
    await writeFile(join(src, 'a.d', 'empty'), '');
    await writeFile(join(src, 'skip', 'secret'), 'no');
    await writeFile(join(src, 'note.tmp'), 'no');
    await symlink('a/x.sh', join(src, 'run'));

    const [sender, receiver] = callPair({ 'dir-name': 'context', 'exclude-patterns': ['skip', '*.tmp'] });
    const dirs = { context: { dir: src, filter: (include: readonly string[], exclude: readonly string[]) => new PathFilter({ include, exclude }) } };
    const dest = join(work, 'dest');
    await Promise.all([diffCopy(sender, dirs), receiveDir(receiver, dest)]);

    expect((await readFile(join(dest, 'a', 'deep', 'big.bin'))).equals(Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a))).toBe(true);
    expect((await lstat(join(dest, 'a', 'x.sh'))).mode & 0o777).toBe(0o750);
    expect(await readFile(join(dest, 'a.d', 'empty'), 'utf8')).toBe('');
    expect(await readlink(join(dest, 'run'))).toBe('a/x.sh');
    await expect(lstat(join(dest, 'skip'))).rejects.toThrow();
    await expect(lstat(join(dest, 'note.tmp'))).rejects.toThrow();
  });

  test('an include pattern sends the parents of what it selects', async () => {
    const src = join(work, 'inc');
    await mkdir(join(src, 'bin'), { recursive: true });
    await writeFile(join(src, 'bin', 'tool'), 'tool');
    await writeFile(join(src, 'other'), 'other');
    const [sender, receiver] = callPair({ 'dir-name': 'tools', 'include-patterns': 'bin/tool' });
    const dirs = { tools: { dir: src, filter: (include: readonly string[], exclude: readonly string[]) => new PathFilter({ include, exclude }) } };
    const dest = join(work, 'inc-dest');
    await Promise.all([diffCopy(sender, dirs), receiveDir(receiver, dest)]);
    expect(await readFile(join(dest, 'bin', 'tool'), 'utf8')).toBe('tool');
    await expect(lstat(join(dest, 'other'))).rejects.toThrow();
  });

  test('an unknown directory name is refused', async () => {
    const [sender, , close] = callPair({ 'dir-name': 'nope' });
    await expect(diffCopy(sender, {})).rejects.toThrow(/no access allowed to dir "nope"/);
    close();
  });

  test('the receiver refuses entries that escape the destination or skip their parent', async () => {
    const stat = (path: string, mode: number) => new Writer().message(2, new Writer().string(1, path).uint(2, mode)).finish();
    for (const bad of ['../evil', '/abs', 'missing-parent/file', 'a/../b']) {
      const [sender, receiver, close] = callPair({});
      const done = receiveDir(receiver, join(work, `bad-${bad.replace(/\W/g, '_')}`));
      await sender.send(stat(bad, 0o644));
      await expect(done).rejects.toThrow(/refused export entry/);
      close();
    }
  });
});
