// A root with real builds for garbage-collection tests: file ops only (no containers), the
// executor and the solver on a temp root, results exported to the local image store.
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { merge, mkdir, mkfile, scratch, type State } from '../../../llb/index.ts';
import { exportToImageStore, hostPlatform, parseOutputSpec, type ImageExportResult, type ImageOutput } from '../../../oci/index.ts';
import type { Result } from '../../../solver/index.ts';
import { harness, build, ok, type Harness } from '../e2e/helpers.ts';

export { harness, build, ok, type Harness };

/** A two-step chain (mkdir then a file) and a merge with a second independent branch. */
export function appGraph(tag: string, payload = `payload ${tag}\n`): State {
  const a = scratch()
    .file(mkdir('/app', 0o755), { customName: `mkdir ${tag}` })
    .file(mkfile('/app/data.txt', 0o644, payload), { customName: `write ${tag}` });
  const b = scratch().file(mkfile(`/b-${tag}.txt`, 0o644, `b ${tag}\n`), { customName: `branch ${tag}` });
  return merge([a, b], { customName: `merge ${tag}` });
}

/** One step writing `bytes` of incompressible data. */
export function bigGraph(tag: string, bytes: number): State {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 2654435761 + tag.charCodeAt(0) * 97) >>> 24;
  return scratch().file(mkfile(`/big-${tag}.bin`, 0o644, data), { customName: `big ${tag}` });
}

/** Stores a result as an image under `name`, as `tsbuild build -t name` does. */
export async function tagResult(h: Harness, result: Result, name: string): Promise<ImageExportResult> {
  const layers = await h.executor.layersOf(result);
  return exportToImageStore(
    { content: h.executor.stores.content, images: h.executor.stores.images, registry: h.executor.registry },
    { layers, config: { platform: hostPlatform(), config: { Cmd: ['/app'] }, history: [] } },
    parseOutputSpec(`type=image,name=${name}`) as ImageOutput,
  );
}

/** Reads a file of a result's filesystem. */
export async function readResult(h: Harness, result: Result, path: string): Promise<string> {
  const dir = await h.executor.readableDir(result);
  try {
    return await readFile(join(dir.path, path), 'utf8');
  } finally {
    await dir.release();
  }
}

/** Sets the last-used time of every record naming `resultId` (the store's own clock is "now"). */
export function setLastUsed(root: string, resultId: string, at: number): void {
  const db = new DatabaseSync(join(root, 'cache.db'));
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    db.prepare('UPDATE records SET last_used = ?, created_at = ? WHERE result_id = ?').run(at, at, resultId);
  } finally {
    db.close();
  }
}

/** Names of the steps that ran (not cached), sources left out. */
export function ranSteps(ran: readonly string[]): string[] {
  return ran.filter((n) => !n.includes('://')).sort();
}
