// One build record per build target under `<root>/explain/`, named by the sha256 of the target's
// identity (build file, target stage, platform), so rebuilding a target finds its last record and
// two targets never overwrite each other. Writes are atomic (temp file, fsync, rename): a build
// killed mid-write leaves the previous record or the new one, never a torn file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BUILD_RECORD_VERSION, type BuildRecord } from './record.ts';

export interface TargetIdentity {
  /** The Dockerfile or build.ts; made absolute here. */
  readonly buildFile: string;
  /** `--target`, when given. */
  readonly target?: string | undefined;
  /** The target platform, e.g. `linux/amd64`. */
  readonly platform?: string | undefined;
}

/** The identity as one string, stable across working directories. */
export function targetIdentity(t: TargetIdentity): string {
  return JSON.stringify([resolve(t.buildFile), t.target ?? '', t.platform ?? '']);
}

export function recordPath(root: string, identity: string): string {
  return join(root, 'explain', `${createHash('sha256').update(identity).digest('hex')}.json`);
}

/** The last record of this target; undefined when there is none, or it is unreadable or of another version. */
export async function loadRecord(root: string, identity: string): Promise<BuildRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(root, identity), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const value = JSON.parse(text) as Partial<BuildRecord> | null;
    if (value?.version !== BUILD_RECORD_VERSION || !Array.isArray(value.vertices)) return undefined;
    return value as BuildRecord;
  } catch {
    // A record is only a hint for explanations: a damaged one is as good as none.
    return undefined;
  }
}

export async function saveRecord(root: string, identity: string, record: BuildRecord): Promise<void> {
  const path = recordPath(root, identity);
  await mkdir(join(root, 'explain'), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(record));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
