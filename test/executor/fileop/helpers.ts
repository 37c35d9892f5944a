// Temp trees and action builders for the file-op tests.
import { mkdtemp, mkdir, rm, symlink, writeFile, readdir, lstat, readlink, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FileAction, FileActionCopy } from '../../../llb/pb/types.ts';
import { applyFileActions, type FileOpInput } from '../../../executor/fileop/index.ts';

const made: string[] = [];

export async function tempDir(prefix = 'fileop-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export async function cleanupTemp(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Entries: path → file content, `{ link }` for a symlink, `{ dir: true }` for an empty dir. */
export type TreeSpec = Record<string, string | { link: string } | { dir: true }>;

export async function makeTree(root: string, spec: TreeSpec): Promise<string> {
  for (const [p, v] of Object.entries(spec)) {
    const host = join(root, p);
    await mkdir(dirname(host), { recursive: true });
    if (typeof v === 'string') await writeFile(host, v);
    else if ('link' in v) await symlink(v.link, host);
    else await mkdir(host, { recursive: true });
  }
  return root;
}

/** Every path under root: files as their content, dirs as '/', links as '-> target'. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const host = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(host);
      if (st.isSymbolicLink()) out[r] = `-> ${await readlink(host)}`;
      else if (st.isDirectory()) {
        out[r] = '/';
        await walk(host, r);
      } else out[r] = await readFile(host, 'utf8');
    }
  };
  await walk(root, '');
  return out;
}

export function copyAction(
  src: string,
  dest: string,
  opts: Partial<FileActionCopy> = {},
  io: { input?: number; secondaryInput?: number; output?: number } = {},
): FileAction {
  return {
    input: io.input ?? 0,
    secondaryInput: io.secondaryInput ?? 1,
    output: io.output ?? 0,
    copy: { src, dest, mode: -1, timestamp: -1, ...opts },
  };
}

/** Runs actions with workDir as the chain's destination and `inputs` as op inputs. */
export async function run(workDir: string, actions: FileAction[], inputs: (string | FileOpInput)[] = [workDir]): Promise<void> {
  await applyFileActions({ actions, inputs, workDir, scratchDir: () => tempDir('fileop-scratch-') });
}
