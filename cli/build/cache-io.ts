// `--cache-from` and `--cache-to`: BuildKit-format build cache in registries and directories.
// Each import and export is a step of the progress output. An import that fails (missing ref,
// unreachable registry, a blob that does not match its digest) is a warning and the build goes
// on without it; an export that fails fails the build unless the spec says ignore-error=true.
import { resolve } from 'node:path';
import type { Digest } from '../../llb/index.ts';
import {
  buildCacheConfig,
  prepareCache,
  pullCache,
  pushCache,
  readLocalCache,
  writeLocalCache,
  type CacheSpec,
  type ImageOutput,
  type OutputSpec,
  type PulledCache,
} from '../../oci/index.ts';
import { collectCacheEntries, importCacheEntries, type Executor } from '../../executor/build.ts';
import type { CacheStore, Result, VertexReport } from '../../solver/index.ts';
import { exportStep } from './export-step.ts';
import type { BuildHooks } from './run-build.ts';

function where(spec: CacheSpec): string {
  switch (spec.type) {
    case 'registry':
      return spec.ref.string;
    case 'local':
      return `${spec.dir}:${spec.tag}`;
    case 'inline':
      return 'inline';
  }
}

function short(d: Digest): string {
  return d.slice(0, 19);
}

/** Imports every `--cache-from` into the root's cache store; never fails the build. */
export async function importCaches(executor: Executor, store: CacheStore, specs: readonly CacheSpec[], hooks: BuildHooks): Promise<void> {
  for (const spec of specs) {
    if (spec.type === 'inline') continue; // refused when parsed
    try {
      await exportStep(hooks, `importing cache manifest from ${where(spec)}`, async (status) => {
        let pulled: PulledCache;
        let source: string;
        if (spec.type === 'registry') {
          pulled = await pullCache(executor.registry, executor.stores.content, spec.ref);
          source = spec.ref.string;
        } else {
          source = resolve(spec.dir);
          pulled = await readLocalCache(executor.stores.content, source, spec.tag);
        }
        const summary = await importCacheEntries(executor.refs, store, pulled.entries, source);
        status(`manifest ${short(pulled.manifest)} and cache config`, pulled.bytes, pulled.bytes, true);
        status(`${summary.usable} records (${summary.added} new), ${pulled.blobs} layer blobs left remote until needed`, 0, undefined, true);
      });
    } catch (err) {
      hooks.onWarning?.(`cannot import cache from ${where(spec)}: ${err instanceof Error ? err.message : String(err)}; building without it`);
    }
  }
}

/** Writes every `--cache-to`; a failure throws unless its spec has ignore-error=true. */
export async function exportCaches(
  executor: Executor,
  store: CacheStore,
  vertices: ReadonlyMap<Digest, VertexReport>,
  finals: readonly (Result | undefined)[],
  specs: readonly CacheSpec[],
  hooks: BuildHooks,
): Promise<void> {
  for (const spec of specs) {
    if (spec.type === 'inline') continue;
    try {
      await exportStep(hooks, `exporting cache to ${where(spec)} (mode=${spec.mode})`, async (status) => {
        const content = executor.stores.content;
        const collected = await collectCacheEntries(executor.refs, store, vertices, finals, spec);
        const prepared = await prepareCache(content, collected.entries, spec);
        status(`${prepared.records} records, ${prepared.blobs.length} layer blobs`, 0, undefined, true);
        if (spec.type === 'registry') {
          const pushed = await pushCache(executor.registry, content, spec.ref, prepared, {
            ensureLocal: (d) => collected.ensureLocal(d),
            onProgress: (p) => status(`${p.done ? (p.result ?? 'pushed') : 'pushing'} ${short(p.digest)}`, p.current, p.total, p.done),
          });
          const count = (r: string) => pushed.blobs.filter((b) => b.result === r).length;
          status(`blobs: ${count('uploaded')} uploaded, ${count('mounted')} mounted, ${count('exists')} already there`, 0, undefined, true);
          status(`pushed cache manifest ${pushed.digest}`, 0, undefined, true);
        } else {
          const written = await writeLocalCache(content, resolve(spec.dir), spec.tag, prepared, (d) => collected.ensureLocal(d));
          status(`blobs: ${written.copied} written, ${written.present} already there`, 0, undefined, true);
        }
      });
    } catch (err) {
      const message = `cannot export cache to ${where(spec)}: ${err instanceof Error ? err.message : String(err)}`;
      if (!spec.ignoreError) throw new CacheExportError(message, { cause: err });
      hooks.onWarning?.(`${message} (ignored: ignore-error=true)`);
    }
  }
}

/**
 * `--cache-to type=inline`: the records of the final image's own layers (mode=min), as the cache
 * config the image config carries, compressed as the image is pushed so the blobs are its layers.
 * With several platforms, every platform's image carries the records of all of them.
 */
export async function inlineCacheFor(
  executor: Executor,
  store: CacheStore,
  vertices: ReadonlyMap<Digest, VertexReport>,
  finals: readonly (Result | undefined)[],
  specs: readonly CacheSpec[],
  outputs: readonly OutputSpec[],
  hooks: BuildHooks,
): Promise<string | undefined> {
  const spec = specs.find((s) => s.type === 'inline');
  if (!spec) return undefined;
  const image = outputs.find((o): o is ImageOutput => o.type === 'image' && o.push);
  if (!image) {
    hooks.onWarning?.('--cache-to type=inline needs an image that is pushed (-o type=registry or type=image,push=true); no cache exported');
    return undefined;
  }
  const collected = await collectCacheEntries(executor.refs, store, vertices, finals, {
    mode: 'min',
    compression: image.compression,
    ociMediaTypes: image.ociMediaTypes,
  });
  return Buffer.from(JSON.stringify(buildCacheConfig(collected.entries).config)).toString('base64');
}

export class CacheExportError extends Error {
  override readonly name = 'CacheExportError';
}
