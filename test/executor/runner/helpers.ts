import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OverlayRootfs, RunOptions, Runner } from '../../../executor/runner/index.ts';
import { busyboxRootfs } from '../../support/busybox.ts';

const created: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tsbuild-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Removes every directory tempDir made (runs have unmounted everything by then). */
export async function removeTempDirs(): Promise<void> {
  for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A writable overlay over the shared busybox fixture; writes land in `upperdir`. */
export async function overlayRootfs(): Promise<OverlayRootfs> {
  const dir = await tempDir('ovl');
  const upperdir = join(dir, 'upper');
  const workdir = join(dir, 'work');
  await mkdir(upperdir);
  await mkdir(workdir);
  return { type: 'overlay', lowerdirs: [await busyboxRootfs()], upperdir, workdir };
}

/** A private copy of the busybox fixture, for tests that look at a plain rootfs directory. */
export async function copiedRootfs(): Promise<string> {
  const dir = join(await tempDir('rootfs'), 'rootfs');
  execFileSync('cp', ['-a', await busyboxRootfs(), dir]);
  return dir;
}

/** Runs and collects output; the run's result or error is returned, never thrown. */
export async function capture(runner: Runner, options: Omit<RunOptions, 'stdout' | 'stderr'>) {
  let stdout = '';
  let stderr = '';
  const events: string[] = [];
  try {
    const result = await runner.run({
      ...options,
      stdout: (c) => {
        stdout += Buffer.from(c).toString();
        events.push(`1:${Buffer.from(c).toString()}`);
      },
      stderr: (c) => {
        stderr += Buffer.from(c).toString();
        events.push(`2:${Buffer.from(c).toString()}`);
      },
    });
    return { result, stdout, stderr, events, error: undefined };
  } catch (error) {
    return { result: undefined, stdout, stderr, events, error: error as Error };
  }
}

export function runcList(stateDir: string): string[] {
  const out = execFileSync('runc', ['--root', join(stateDir, 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' });
  return ((JSON.parse(out || 'null') as { id: string }[] | null) ?? []).map((c) => c.id);
}
