// Exports show in the progress output as steps of their own, as BuildKit's do (`exporting to
// image`, `copying files`), with byte progress where the exporter reports it (pushes).
import { createHash, randomBytes } from 'node:crypto';
import type { Digest } from '../../llb/index.ts';
import type { BuildHooks } from './run-build.ts';

export type StatusSink = (id: string, current: number, total: number | undefined, done: boolean) => void;

/** A warning of the export itself, on its step's line. */
export type ExportWarnSink = (short: string, detail?: string) => void;

export async function exportStep<T>(hooks: BuildHooks, name: string, run: (status: StatusSink, warn: ExportWarnSink) => Promise<T>): Promise<T> {
  // Not an op of the graph: a digest of its own, unique per build, so it never merges with one.
  const digest: Digest = `sha256:${createHash('sha256').update(`export\0${name}\0`).update(randomBytes(8)).digest('hex')}`;
  const started = Date.now();
  const vertex = { type: 'vertex' as const, digest, name, inputs: [] as Digest[], started };
  hooks.onEvent?.(vertex);
  const status: StatusSink = (id, current, total, done) => {
    const now = Date.now();
    hooks.onEvent?.({
      type: 'status',
      vertex: digest,
      id,
      current,
      ...(total !== undefined ? { total } : {}),
      timestamp: now,
      started,
      ...(done ? { completed: now } : {}),
    });
  };
  const warn: ExportWarnSink = (short, detail) => {
    hooks.onEvent?.({ type: 'warning', vertex: digest, level: 1, short, ...(detail !== undefined ? { detail } : {}) });
  };
  try {
    const result = await run(status, warn);
    hooks.onEvent?.({ ...vertex, completed: Date.now() });
    return result;
  } catch (err) {
    hooks.onEvent?.({ ...vertex, completed: Date.now(), error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}
