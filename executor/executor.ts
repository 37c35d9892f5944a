// The executor: everything the solver needs to run LLB for real on this machine, composed from
// one root directory. The CLI hands `resolver` to the solver and `layersOf`/`readableDir` to the
// exporters.
//
//   <root>/snapshots/…     snapshot tree (overlayfs or native)
//   <root>/refs/           ref records (results the cache store points at)
//   <root>/content/        blobs (oci)            <root>/images.json  local image names
//   <root>/cache-mounts/   RUN --mount=type=cache <root>/locals/      filtered context link farms
//   <root>/contenthash.bin   remembered file digests   <root>/runner/  container bundles
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Definition } from '../llb/index.ts';
import { AsyncMemo, asyncOnce, decodeDefinition } from '../llb/index.ts';
import {
  formatPlatform,
  hostPlatform,
  openStores,
  parsePlatform,
  parseReference,
  fetchBlob,
  importLocalBlob,
  RegistryClient,
  resolveBaseImage,
  type ImageConfig,
  type LayerSource,
  type OciPlatform,
  type OciStores,
  type RegistryClientOptions,
} from '../oci/index.ts';
import { defaultParallelism, type OpResolver, type Result } from '../solver/index.ts';
import { ContentHasher } from './contenthash/index.ts';
// The op modules themselves, not ops/index.ts: the resolver loads each op kind on first use.
import { CacheMounts } from './ops/cache-mounts.ts';
import { Semaphore } from './ops/semaphore.ts';
import { memoWrites } from './ops/memo-file.ts';
import type { ImageResolveMode, OpsContext, ResolvedBase, SecretSource } from './ops/context.ts';
import { asRef, RefManager } from './refs/index.ts';
import { baseChain, LayerPrefetcher, prefetchingResolver, type ChainTarget, type PrefetchingResolver } from './layer-prefetch.ts';
import { writeLayerOnThread } from './layer-writer.ts';
import { createResolver } from './resolver.ts';
import { createRunner, emulationFor, type OciRuntimeName, type Runner } from './runner/index.ts';
import { openSnapshotter, type ReadableDir, type Snapshotter, type SnapshotterName } from './snapshot/index.ts';

export interface ExecutorOptions {
  /** `$TSBUILD_ROOT`. */
  readonly root: string;
  /** Default: overlayfs where it works (root, kernel support), else native. */
  readonly snapshotter?: SnapshotterName | 'auto';
  /** Default runc. */
  readonly runtime?: OciRuntimeName;
  /** Build contexts by name (`local://<name>`) → directory. */
  readonly locals?: Readonly<Record<string, string>>;
  /**
   * Absolute paths the build itself writes (state root, outputs): left out of any build context
   * they lie inside, as if a .dockerignore named them.
   */
  readonly ownPaths?: readonly string[];
  /** Secrets by id: a host file or an environment variable. */
  readonly secrets?: Readonly<Record<string, SecretSource>>;
  /** SSH agent sockets by id (`default` for a plain `--ssh`). */
  readonly ssh?: Readonly<Record<string, string>>;
  /** OCI layout stores by id (`oci-layout://<id>@…`) → directory. */
  readonly ociLayouts?: Readonly<Record<string, string>>;
  /** Target platform of image sources (default: the host's). */
  readonly platform?: OciPlatform | string;
  /** Registry client options (insecure hosts, credentials, fetch). */
  readonly registry?: RegistryClientOptions;
  /** Always ask the registry for base images (`--pull`). */
  readonly pull?: boolean;
  /** Containers running at once (default: the solver's default, twice the CPUs and at least 16). */
  readonly maxParallelism?: number;
  /** Network of RUN steps that do not set one: `host` (default; there is no bridge) or `none`. */
  readonly defaultNetwork?: 'host' | 'none';
  /**
   * The outputs read the results as files (default true). False when only image exports read
   * them: a step whose result nothing else mounts may then write its layer without its files.
   */
  readonly targetsReadAsFiles?: boolean;
  /** Share the CLI's stores instead of opening new ones on `root`. */
  readonly stores?: OciStores;
}

export interface Executor {
  readonly resolver: OpResolver;
  readonly refs: RefManager;
  readonly snapshotter: Snapshotter;
  readonly stores: OciStores;
  readonly registry: RegistryClient;
  readonly hasher: ContentHasher;
  readonly runner: Runner;
  /** A result's layers for an exporter, bottom first (blobs reused where they exist). */
  layersOf(result: Result): Promise<LayerSource[]>;
  /** How many of `layersOf` lead from an existing image (blobs: the base), not from this build's steps. */
  baseLayerCountOf(result: Result): number;
  /** The image config of a result that is an image source as is (undefined otherwise). */
  imageConfigOf(result: Result): Promise<ImageConfig | undefined>;
  /**
   * When the result was first built: its ref's creation time, the same on every cached rebuild
   * (undefined for a local context, which is not recorded).
   */
  createdAt(result: Result): Date | undefined;
  /** A directory holding a result's filesystem; release it when done. */
  readableDir(result: Result | undefined): Promise<ReadableDir>;
  /** Rejects with a message saying what to install or how to run when containers cannot run. */
  checkRunner(): Promise<void>;
  /** Rejects with what to install when this machine cannot run the platform's binaries. */
  checkEmulation(platform: OciPlatform): Promise<void>;
  /** `checkRunner`, only when a definition contains an exec op. */
  checkDefinition(def: Definition): Promise<void>;
  /** A base image by name: the local store first, else the registry (memoised per build). */
  resolveImage(ref: string, platform: OciPlatform, mode: ImageResolveMode): Promise<ResolvedBase>;
  /**
   * The resolver, with each step on the base chain of `targets` writing its own layer
   * (uncompressed, as the local image store keeps it) after it is committed, while the
   * build goes on: for a build whose output is that image (layer-prefetch.ts). The writes
   * start once no step has finished for `quietMs` (default QUIET_MS).
   */
  prefetchingResolver(targets: readonly ChainTarget[], quietMs?: number): PrefetchingResolver;
  /** Persists remembered file digests and unmounts what this process mounted. */
  close(): Promise<void>;
}

export async function createExecutor(options: ExecutorOptions): Promise<Executor> {
  const root = options.root;
  const stores = options.stores ?? openStores(root);
  const snapshotter = await openSnapshotter({ root, ...(options.snapshotter ? { snapshotter: options.snapshotter } : {}) });
  const registry = new RegistryClient(options.registry ?? {});
  const runner = createRunner(options.runtime ?? 'runc', { stateDir: join(root, 'runner') });
  const hasher = new ContentHasher({ cacheFile: join(root, 'contenthash.bin') });
  const platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : (options.platform ?? hostPlatform());
  const refs = new RefManager({
    root,
    snapshotter,
    content: stores.content,
    fetchBlob: (source, d, onProgress) =>
      source.startsWith('/')
        ? importLocalBlob(stores.content, source, d)
        : fetchBlob(registry, stores.content, parseReference(source), d, onProgress ? (p) => onProgress(p.current) : undefined),
  });

  const checkRunner = asyncOnce(() => runner.check());
  const emulation = new AsyncMemo<string, void>();
  const checkEmulation = (p: OciPlatform): Promise<void> =>
    emulation.get(formatPlatform(p), async () => {
      await emulationFor(p);
    });

  const resolved = new AsyncMemo<string, ResolvedBase>();
  const resolveImage = (ref: string, p: OciPlatform, mode: ImageResolveMode): Promise<ResolvedBase> =>
    resolved.get(`${mode}\0${ref}\0${formatPlatform(p)}`, async () => {
      // The local store first (a pulled base is recorded there, as docker does), the registry
      // otherwise; the reference stays the source of any layer blob fetched later.
      const pull = mode === 'pull' ? 'always' : mode === 'local' ? 'never' : 'missing';
      const image = await resolveBaseImage({ content: stores.content, images: stores.images, registry }, ref, { platform: p, pull });
      return { image, source: parseReference(ref).string };
    });

  const ctx: OpsContext = {
    root,
    refs,
    snapshotter,
    hasher,
    content: stores.content,
    images: stores.images,
    registry,
    runner,
    checkRunner,
    checkEmulation,
    locals: options.locals ?? {},
    ownPaths: [resolve(root), ...(options.ownPaths ?? [])],
    secrets: options.secrets ?? {},
    ssh: options.ssh ?? {},
    ociLayouts: options.ociLayouts ?? {},
    platform,
    pull: options.pull ?? false,
    nonce: randomBytes(16).toString('hex'),
    execSlots: new Semaphore(options.maxParallelism ?? defaultParallelism()),
    cacheMounts: new CacheMounts(root),
    resolveImage,
    defaultNetwork: options.defaultNetwork ?? 'host',
    readAsFiles: new Set(),
    targetsReadAsFiles: options.targetsReadAsFiles ?? true,
  };

  const resolver = createResolver(ctx);
  // A layer another thread cannot write (the copying snapshotter's) is left to the export.
  const writeOwnLayer = async (result: Result): Promise<void> => {
    const own = refs.ownLayer(asRef(result));
    if (own) await refs.writingLayer(own.entry, writeLayerOnThread(own.dir, stores.content.root));
  };
  const prefetchers: LayerPrefetcher[] = [];

  return {
    resolver,
    refs,
    snapshotter,
    stores,
    registry,
    hasher,
    runner,
    layersOf: (result) => refs.layers(asRef(result)),
    baseLayerCountOf(result) {
      const layers = asRef(result).layers;
      let n = 0;
      while (n < layers.length && layers[n]!.blob !== undefined && !layers[n]!.built) n++;
      return n;
    },
    imageConfigOf: (result) => refs.imageConfig(asRef(result)),
    createdAt(result) {
      const created = asRef(result).record?.created;
      return created === undefined ? undefined : new Date(created);
    },
    readableDir: (result) => refs.readable(result ? asRef(result) : undefined),
    checkRunner,
    checkEmulation,
    resolveImage,
    async checkDefinition(def) {
      if (decodeDefinition(def).ops.some((o) => o.op.exec !== undefined)) await checkRunner();
    },
    prefetchingResolver(targets, quietMs) {
      const p = new LayerPrefetcher(writeOwnLayer, quietMs);
      prefetchers.push(p);
      return { ...prefetchingResolver(resolver, baseChain(targets), p), flush: () => p.flush() };
    },
    async close() {
      await Promise.all(prefetchers.splice(0).map((p) => p.close()));
      await hasher.flush();
      await memoWrites();
      await runner.close?.();
      await snapshotter.close();
    },
  };
}
