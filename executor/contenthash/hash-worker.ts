// Worker side of hash-pool.ts: reads a file in fixed-size chunks (never the whole file at once)
// and returns the sha256 of its bytes.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);

parentPort!.on('message', (job: { id: number; path: string }) => {
  try {
    const fd = openSync(job.path, 'r');
    try {
      const h = createHash('sha256');
      let bytes = 0;
      for (;;) {
        const n = readSync(fd, buffer, 0, CHUNK, null);
        if (n === 0) break;
        h.update(buffer.subarray(0, n));
        bytes += n;
      }
      parentPort!.postMessage({ id: job.id, sha: h.digest('hex'), bytes });
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: (e as Error).message });
  }
});
