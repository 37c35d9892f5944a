// Writes snapshot layers' tars on a worker thread: the main thread keeps running the build's
// steps (a layer tar of many small files is mostly synchronous reads), and the spare core does
// the writing. One thread per process, started on first use and kept while writes come (a build
// server's builds find it warm: a cold thread compiles the tar code again); it ends after a
// minute without work and never keeps the process alive.
import { Worker } from 'node:worker_threads';
import type { Digest } from '../llb/index.ts';

// Next to this module: the source (.ts) in a checkout, the prebuilt CLI's entry (.js) in dist/, or
// the compiled module (.js) in the npm package's lib/.
const workerURL = new URL(import.meta.url.endsWith('.ts') ? './layer-worker.ts' : './layer-worker.js', import.meta.url);

const IDLE_MS = 60_000;

interface Job {
  resolve: (d: Digest) => void;
  reject: (e: Error) => void;
}

const jobs = new Map<number, Job>();
let worker: Worker | undefined;
let idle: NodeJS.Timeout | undefined;
let nextId = 0;

/**
 * Writes the layer whose tree is `dir` (see Snapshotter.layerDir) into the content store at
 * `content` as an uncompressed blob, with its listing and link; resolves to its diff_id.
 */
export function writeLayerOnThread(dir: string, content: string): Promise<Digest> {
  const w = started();
  const id = nextId++;
  clearTimeout(idle);
  return new Promise<Digest>((resolve, reject) => {
    jobs.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, dir, content });
  });
}

function started(): Worker {
  if (worker) return worker;
  const w = new Worker(workerURL);
  w.on('message', (msg: { id: number; diffID?: Digest; error?: string }) => {
    const job = jobs.get(msg.id);
    jobs.delete(msg.id);
    if (jobs.size === 0) {
      w.unref();
      idle = setTimeout(() => void stop(w), IDLE_MS);
      idle.unref();
    }
    if (msg.error !== undefined) job?.reject(new Error(msg.error));
    else job?.resolve(msg.diffID!);
  });
  w.on('error', (e: Error) => fail(w, e));
  w.on('exit', () => fail(w, new Error('the layer writer thread exited')));
  worker = w;
  return w;
}

function fail(w: Worker, e: Error): void {
  if (worker !== w) return;
  worker = undefined;
  for (const job of jobs.values()) job.reject(e);
  jobs.clear();
}

async function stop(w: Worker): Promise<void> {
  if (worker !== w || jobs.size > 0) return;
  worker = undefined;
  await w.terminate();
}
