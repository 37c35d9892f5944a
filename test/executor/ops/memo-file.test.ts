import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { memoWrites, readMemoFile, writeMemoFile } from '../../../executor/ops/memo-file.ts';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'tsbuild-memo-file-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

const asMemo = (json: unknown) => ((json as { v?: unknown }).v === 1 ? (json as { v: 1; n: number }) : undefined);

describe('memo files', () => {
  test('a memo this process wrote is read back as the value it wrote, without parsing the file', async () => {
    const path = join(dir, 'sub', 'm.json');
    const value = { v: 1 as const, n: 1 };
    writeMemoFile(path, value);
    expect(await readMemoFile(path, asMemo)).toBe(value);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(value);
    // Read again: still the same object.
    expect(await readMemoFile(path, asMemo)).toBe(value);
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(['m.json']);
  });

  test('a memo replaced by another writer, or removed, is not the kept value', async () => {
    const path = join(dir, 'm.json');
    const value = { v: 1 as const, n: 1 };
    writeMemoFile(path, value);
    await memoWrites();
    // Same size as what was written: only the file's identity tells them apart.
    await writeFile(`${path}.other`, JSON.stringify({ v: 1, n: 2 }));
    await rename(`${path}.other`, path);
    expect(await readMemoFile(path, asMemo)).toEqual({ v: 1, n: 2 });
    await rm(path);
    expect(await readMemoFile(path, asMemo)).toBeUndefined();
    await writeFile(path, JSON.stringify({ v: 2 }));
    expect(await readMemoFile(path, asMemo)).toBeUndefined();
    await writeFile(path, 'not json');
    expect(await readMemoFile(path, asMemo)).toBeUndefined();
  });

  test('writes of one memo land in order; memoWrites waits for all; a failed write leaves no temp file', async () => {
    const path = join(dir, 'm.json');
    for (let n = 0; n < 5; n++) writeMemoFile(path, { v: 1, n });
    await memoWrites();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ v: 1, n: 4 });
    // A file in the way of the memo's directory: the write fails quietly.
    await writeFile(join(dir, 'blocked'), '');
    writeMemoFile(join(dir, 'blocked', 'm.json'), { v: 1, n: 0 });
    await memoWrites();
    expect(await readMemoFile(join(dir, 'blocked', 'm.json'), asMemo)).toBeUndefined();
    // A directory (not empty) where the memo goes: the temp file is written, the rename fails,
    // and the temp file is removed.
    await mkdir(join(dir, 'taken', 'inside'), { recursive: true });
    writeMemoFile(join(dir, 'taken'), { v: 1, n: 0 });
    await memoWrites();
    expect((await readdir(dir)).sort()).toEqual(['blocked', 'm.json', 'taken']);
    expect(await readdir(join(dir, 'taken'))).toEqual(['inside']);
  });
});
