// Remembers, per state root, that overlay mounts work there, so a process does not mount and
// unmount a probe (about 30 ms of mount(8)/umount(8)) before every build. The verdict is keyed by
// the kernel release and the device of the snapshots directory: a new kernel, or the root moved
// to another filesystem, probes again. Only success is remembered; a failed probe is repeated
// next time, so installing what was missing takes effect without clearing anything.
import { stat, readFile, rename, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';

const FILE = '.overlay-ok';

async function verdictKey(dir: string): Promise<string> {
  const st = await stat(dir);
  return `v1 ${release()} dev=${st.dev}\n`;
}

/** Whether an earlier probe found overlay mounts working under `dir` (the snapshots directory). */
export async function overlayKnownToWork(dir: string): Promise<boolean> {
  try {
    const [saved, key] = await Promise.all([readFile(join(dir, FILE), 'utf8'), verdictKey(dir)]);
    return saved === key;
  } catch {
    return false;
  }
}

/** Records that overlay mounts work under `dir`; best effort (a failure only costs a probe). */
export async function rememberOverlayWorks(dir: string): Promise<void> {
  try {
    const tmp = join(dir, `${FILE}.${process.pid}.tmp`);
    await writeFile(tmp, await verdictKey(dir));
    await rename(tmp, join(dir, FILE));
  } catch {
    // Read-only or vanished: probe again next time.
  }
}
