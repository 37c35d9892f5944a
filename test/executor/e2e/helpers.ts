// Builds LLB states for real: the executor's resolver, the solver, a disk cache store, all in a
// temp root. Also makes the busybox fixture into an image (local store or registry).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshal, type State } from '../../../llb/index.ts';
import { hostPlatform, openStores, tarLayerSource, writeImage, type ContentStore, type WrittenImage } from '../../../oci/index.ts';
import { DiskCacheStore, loadDefinitions, solve, type SolveEvent, type SolveOutcome } from '../../../solver/index.ts';
import { createExecutor, type Executor, type ExecutorOptions } from '../../../executor/index.ts';
import { busyboxRootfs } from '../../support/busybox.ts';

export interface Harness {
  root: string;
  executor: Executor;
  store: DiskCacheStore;
  /** Reopens the executor on the same root (a new "build process"). */
  reopen(opts?: Partial<ExecutorOptions>): Promise<void>;
  close(): Promise<void>;
}

export async function harness(opts: Partial<ExecutorOptions> = {}, root?: string): Promise<Harness> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'tsbuild-exec-')));
  const make = (o: Partial<ExecutorOptions>) => createExecutor({ root: dir, maxParallelism: 2, ...opts, ...o });
  const h: Harness = {
    root: dir,
    executor: await make({}),
    store: new DiskCacheStore(dir),
    async reopen(o = {}) {
      await h.executor.close();
      h.store.close();
      h.executor = await make(o);
      h.store = new DiskCacheStore(dir);
    },
    async close() {
      await h.executor.close();
      h.store.close();
      if (!root) await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export interface Built {
  outcome: SolveOutcome;
  events: SolveEvent[];
  /** Names of vertices that ran (not cached). */
  ran: string[];
  logs: string;
}

export async function build(h: Harness, state: State, opts: { signal?: AbortSignal; onEvent?: (e: SolveEvent) => void } = {}): Promise<Built> {
  const def = marshal(state);
  const graph = loadDefinitions([def]);
  const events: SolveEvent[] = [];
  const outcome = await solve(graph, {
    resolver: h.executor.resolver,
    store: h.store,
    maxParallelism: 2,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
  });
  const ran = [...outcome.vertices.values()].filter((v) => v.status === 'ran').map((v) => v.name);
  const logs = Buffer.concat(events.filter((e) => e.type === 'log').map((e) => Buffer.from(e.data))).toString('utf8');
  return { outcome, events, ran, logs };
}

export function ok(b: Built) {
  if (!b.outcome.ok) throw new Error(`build failed: ${b.outcome.failure.message}`);
  return b.outcome.results[0]!;
}

/** A tar of a directory (GNU tar, numeric owners, sorted) as a layer stream. */
export function tarOf(dir: string) {
  return spawn('tar', ['-C', dir, '--numeric-owner', '--sort=name', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
}

/** The busybox fixture as a one-layer image written to a content store. */
export async function busyboxImage(content: ContentStore): Promise<WrittenImage> {
  const dir = await busyboxRootfs();
  const layer = tarLayerSource(content, { openTar: () => tarOf(dir), description: 'busybox' });
  return writeImage(
    content,
    { layers: [layer], config: { platform: hostPlatform(), config: { Env: ['PATH=/bin:/usr/bin'], Cmd: ['/bin/sh'] } } },
    { compression: { type: 'gzip' } },
  );
}

/** Puts the busybox image in the local image store of `root` under `name`. */
export async function storeBusybox(root: string, name: string): Promise<WrittenImage> {
  const stores = openStores(root);
  const img = await busyboxImage(stores.content);
  await stores.images.put(name, img.manifestDescriptor);
  return img;
}

/** Lists the entries of a tar stream. */
export async function tarEntries(stream: NodeJS.ReadableStream): Promise<{ name: string; data: Buffer }[]> {
  const { extract } = await import('tar-stream');
  const ex = extract();
  const out: { name: string; data: Buffer }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => void chunks.push(c as Buffer));
      body.on('end', () => {
        out.push({ name: header.name, data: Buffer.concat(chunks) });
        next();
      });
      body.on('error', reject);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  stream.pipe(ex);
  await done;
  return out;
}
