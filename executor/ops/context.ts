// What every op implementation shares: the stores, the snapshot tree, the runner, the build's
// configuration (contexts, secrets, ssh sockets) and a few per-build memos.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Platform } from '../../llb/index.ts';
import type { ContentStore, ImageStore, OciPlatform, RegistryClient, ResolvedImage } from '../../oci/index.ts';
import type { ContentHasher } from '../contenthash/index.ts';
import type { RefManager } from '../refs/index.ts';
import type { Runner } from '../runner/index.ts';
import type { Snapshotter } from '../snapshot/index.ts';
import type { CacheMounts } from './cache-mounts.ts';
import type { Semaphore } from './semaphore.ts';

/** Where a secret's value comes from: a host file or an environment variable of this process. */
export type SecretSource = { readonly file: string } | { readonly env: string };

export interface ResolvedBase {
  readonly image: ResolvedImage;
  /** Reference the layer blobs can be fetched from; absent for images of the local store. */
  readonly source?: string;
}

export type ImageResolveMode = 'default' | 'pull' | 'local';

export interface OpsContext {
  readonly root: string;
  readonly refs: RefManager;
  readonly snapshotter: Snapshotter;
  readonly hasher: ContentHasher;
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly registry: RegistryClient;
  readonly runner: Runner;
  /** Rejects with a clear message when containers cannot run here (memoised). */
  checkRunner(): Promise<void>;
  /** Rejects with what to install when this machine cannot run the platform's binaries (memoised). */
  checkEmulation(platform: OciPlatform): Promise<void>;
  readonly locals: Readonly<Record<string, string>>;
  /** Absolute paths the build writes (the state root first): never read as part of a local. */
  readonly ownPaths: readonly string[];
  readonly secrets: Readonly<Record<string, SecretSource>>;
  readonly ssh: Readonly<Record<string, string>>;
  readonly ociLayouts: Readonly<Record<string, string>>;
  readonly platform: OciPlatform;
  /** Always ask the registry for image sources (`--pull`). */
  readonly pull: boolean;
  /** Unique per build: local sources key on it, so their consumers key on content instead. */
  readonly nonce: string;
  readonly execSlots: Semaphore;
  readonly cacheMounts: CacheMounts;
  /** Resolves an image reference (memoised per build). */
  resolveImage(ref: string, platform: OciPlatform, mode: ImageResolveMode): Promise<ResolvedBase>;
  /** Network of RUN steps that do not set one (`tsbuild build --network`). */
  readonly defaultNetwork: 'host' | 'none';
  /** Vertices (by digest) whose results a step of this build mounts or reads: the resolver adds them. */
  readonly readAsFiles: Set<string>;
  /** The build's outputs read its results as files (a local or tar export), not only their layers. */
  readonly targetsReadAsFiles: boolean;
}

/** A fresh private directory under `<root>/tmp/`; the caller removes it. */
export async function tempDir(root: string, prefix: string): Promise<string> {
  const base = join(root, 'tmp');
  await mkdir(base, { recursive: true, mode: 0o700 });
  return mkdtemp(join(base, `${prefix}-${process.pid}-`));
}

export function uniqueKey(prefix: string): string {
  return `${prefix}-${randomBytes(10).toString('hex')}`;
}

/** The op's platform as an OCI platform, else the build's. */
export function opPlatform(p: Platform | undefined, fallback: OciPlatform): OciPlatform {
  if (!p?.os && !p?.architecture) return fallback;
  return {
    os: p.os || fallback.os,
    architecture: p.architecture || fallback.architecture,
    ...(p.variant ? { variant: p.variant } : {}),
  };
}
