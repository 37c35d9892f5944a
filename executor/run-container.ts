// Runs one process on a result's filesystem, the way `tsbuild run IMAGE` does: a throwaway
// writable snapshot on top of the result, removed afterwards whatever happens.
import type { Result } from '../solver/index.ts';
import type { Executor } from './executor.ts';
import { isRef } from './refs/index.ts';
import { toRootfs, uniqueKey } from './ops/index.ts';
import type { RunOptions } from './runner/index.ts';

export interface ContainerProcess {
  readonly args: string[];
  readonly env?: string[];
  readonly cwd?: string;
  readonly user?: string;
}

export async function runContainer(
  executor: Executor,
  result: Result,
  process: ContainerProcess,
  io: Pick<RunOptions, 'stdout' | 'stderr' | 'network' | 'signal' | 'hostname'>,
): Promise<number> {
  if (!isRef(result)) throw new TypeError(`result ${result.id} was not made by this executor`);
  await executor.checkRunner();
  const snap = executor.snapshotter;
  const key = uniqueKey('run');
  await snap.prepare(key, await executor.refs.parentKey(result));
  try {
    const { exitCode } = await executor.runner.run({
      rootfs: toRootfs(await snap.mounts(key)),
      process,
      ...io,
      validExitCodes: Array.from({ length: 256 }, (_, i) => i),
    });
    return exitCode;
  } finally {
    await snap.remove(key).catch(() => {});
  }
}
