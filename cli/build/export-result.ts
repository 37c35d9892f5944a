// After a solve: turns the result into what `--output` asked for. Without an output the image goes
// to the local image store under the `-t` names (docker's default with a local daemon).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest, Platform } from '../../llb/index.ts';
import type { Result, VertexReport } from '../../solver/index.ts';
import type { Executor } from '../../executor/index.ts';
import {
  exportArchive,
  exportFilesystem,
  exportToImageStore,
  formatPlatform,
  hostPlatform,
  parseOutputSpec,
  parseSourceDateEpoch,
  type ContainerConfig,
  type ExportableImage,
  type LayerSource,
  type OciPlatform,
  type OutputSpec,
  type WrittenImage,
  type WrittenIndex,
} from '../../oci/index.ts';
import type { BuildHooks, CompiledBuild } from './run-build.ts';
import { exportStep, type ExportWarnSink } from './export-step.ts';
import type { BuildRequest } from './request.ts';
import { buildWaste } from '../waste/index.ts';
import { sourceLinesFor } from './source-lines.ts';

export interface ExportSummary {
  /** Manifest digest of the image (local store, or the archive's), when an image was written. */
  readonly imageDigest?: string;
  readonly configDigest?: string;
  /** Names the image was stored or pushed under. */
  readonly names: readonly string[];
  readonly pushed: readonly string[];
  /** What each output wrote, for messages. */
  readonly written: readonly string[];
  /** Dead bytes of the build's own layers and the image's size, when an image was written (--fail-on-waste). */
  readonly waste?: { readonly deadBytes: number; readonly sizeBytes?: number };
}

/**
 * Warns, once per build, of the bytes steps delete or overwrite that earlier steps added. Each
 * warning goes on the deleting step's line (with its Dockerfile line) when that step shows in the
 * progress output, else on the export's.
 */
async function warnWaste(
  image: ExportableImage,
  baseLayers: number,
  ctx: { compiled: CompiledBuild; req: BuildRequest; hooks: BuildHooks; vertices: ReadonlyMap<Digest, VertexReport> },
  exportWarn: ExportWarnSink,
): Promise<{ deadBytes: number; sizeBytes?: number }> {
  const waste = await buildWaste(image.layers, baseLayers, { checkBase: ctx.req.checkBase ?? false, imageSize: ctx.req.wasteImageSize ?? false });
  for (const w of waste.warnings) {
    const name = image.layers[w.layer]?.description;
    const step = name === undefined ? undefined : [...ctx.vertices.values()].find((v) => v.name === name);
    const lines = step ? sourceLinesFor(ctx.compiled.definition, step.digest) : undefined;
    const at = lines && lines.highlight[0] !== undefined ? `${lines.file}:${lines.highlight[0]}: ` : '';
    if (step && step.status !== 'not-started') ctx.hooks.onEvent?.({ type: 'warning', vertex: step.digest, level: 1, short: at + w.short, detail: w.detail });
    else exportWarn(at + w.short, w.detail);
  }
  return { deadBytes: waste.deadBytes, ...(waste.sizeBytes !== undefined ? { sizeBytes: waste.sizeBytes } : {}) };
}

/** One platform's part of the build: what it compiled to and the solve's result for it. */
export interface BuiltTarget {
  readonly platform: Platform;
  readonly compiled: CompiledBuild;
  readonly result: Result | undefined;
}

function imagePlatform(compiled: CompiledBuild, target: Platform): OciPlatform {
  const host = hostPlatform();
  const img = compiled.image;
  return {
    architecture: img?.architecture || target.architecture || host.architecture,
    os: img?.os || target.os || host.os,
    ...((img?.variant ?? target.variant) ? { variant: (img?.variant ?? target.variant)! } : {}),
  };
}

async function exportable(
  executor: Executor,
  { result, compiled, platform }: BuiltTarget,
  req: BuildRequest,
  inlineCache: string | undefined,
): Promise<ExportableImage> {
  const layers: LayerSource[] = result ? await executor.layersOf(result) : [];
  // A result that is a base image as is keeps that image's config, as `FROM x` alone does.
  const asIs = result ? await executor.imageConfigOf(result) : undefined;
  const config: ContainerConfig = { ...(asIs?.config ?? {}), ...(compiled.image?.config ?? {}) };
  if (Object.keys(req.labels).length > 0) config.Labels = { ...(config.Labels ?? {}), ...req.labels };
  const epoch = parseSourceDateEpoch(req.buildArgs['SOURCE_DATE_EPOCH'] ?? process.env['SOURCE_DATE_EPOCH']);
  // Without an epoch the image's time is when its result was built, not now: a rebuild that hits
  // the cache then writes the same config and manifest, so the image keeps its digest (as
  // BuildKit keeps the image ID of a cached rebuild) instead of a new one per run.
  const created = result ? executor.createdAt(result) : undefined;
  return {
    layers,
    config: {
      platform: imagePlatform(compiled, platform),
      config,
      history: compiled.image?.history ?? asIs?.history ?? [],
      ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
      ...(created !== undefined ? { created } : {}),
      ...(inlineCache !== undefined ? { inlineCache } : {}),
    },
  };
}

export function defaultOutputs(req: BuildRequest): OutputSpec[] {
  return req.outputs.length > 0 ? [...req.outputs] : [parseOutputSpec('type=image')];
}

/**
 * With several targets, image outputs hold an index of the platforms' images and `local`/`tar`
 * one directory per platform (`linux_arm64/`), as BuildKit writes them.
 */
export async function exportResult(
  executor: Executor,
  targets: readonly BuiltTarget[],
  req: BuildRequest,
  hooks: BuildHooks,
  vertices: ReadonlyMap<Digest, VertexReport> = new Map(),
  /** `--cache-to type=inline`: the cache config to keep in the image config. */
  inlineCache?: string,
): Promise<ExportSummary> {
  const outputs = defaultOutputs(req);
  const multi = targets.length > 1;
  let images: ExportableImage[] | undefined;
  const imagesOf = async () => (images ??= await Promise.all(targets.map((t) => exportable(executor, t, req, inlineCache))));
  const oneOrAll = async (): Promise<ExportableImage | ExportableImage[]> => (multi ? await imagesOf() : (await imagesOf())[0]!);
  let waste: { deadBytes: number; sizeBytes?: number } | undefined;
  // After the first export that wrote layers: their listings were made on the way. Each
  // platform's image is checked (its steps carry the platform in their names); the worst counts.
  const checkWaste = async (warn: ExportWarnSink) => {
    if (waste) return;
    const all = await imagesOf();
    for (const [i, t] of targets.entries()) {
      const base = t.result ? executor.baseLayerCountOf(t.result) : 0;
      const w = await warnWaste(all[i]!, base, { compiled: t.compiled, req, hooks, vertices }, warn);
      if (!waste || w.deadBytes > waste.deadBytes) waste = w;
    }
  };
  const summary = {
    waste: undefined as { deadBytes: number; sizeBytes?: number } | undefined,
    names: [] as string[],
    pushed: [] as string[],
    written: [] as string[],
    imageDigest: undefined as string | undefined,
    configDigest: undefined as string | undefined,
  };
  for (const spec of outputs) {
    switch (spec.type) {
      case 'image': {
        const toStore = await oneOrAll();
        const r = await exportStep(hooks, 'exporting to image', async (status, warn) => {
          const out = await exportToImageStore(
            {
              content: executor.stores.content,
              images: executor.stores.images,
              registry: executor.registry,
              onPushProgress: (p) => status(`pushing ${p.digest}`, p.current, p.total, p.done),
            },
            toStore,
            spec,
            req.tags,
          );
          if (spec.store || spec.push) await checkWaste(warn);
          return out;
        });
        if (r.local) {
          summary.imageDigest = r.local.manifestDescriptor.digest;
          summary.configDigest = r.local.configDescriptor.digest;
        }
        if (r.localIndex) summary.imageDigest = r.localIndex.descriptor.digest;
        summary.names.push(...r.names);
        for (const p of r.pushed) {
          summary.pushed.push(p.reference.string);
          summary.imageDigest ??= p.digest;
        }
        summary.written.push(r.names.length ? `image ${r.names.join(', ')}` : 'image (unnamed)');
        break;
      }
      case 'oci':
      case 'docker': {
        const toArchive = await oneOrAll();
        const archiveOpts = { extraNames: req.tags, ...(hooks.stdout ? { stdout: hooks.stdout } : {}) };
        const written: WrittenImage | WrittenIndex = await exportStep<WrittenImage | WrittenIndex>(
          hooks,
          `exporting to ${spec.type === 'oci' ? 'oci' : 'docker'} image format`,
          async (_status, warn) => {
            const out = Array.isArray(toArchive)
              ? await exportArchive(executor.stores.content, toArchive, spec, archiveOpts)
              : await exportArchive(executor.stores.content, toArchive, spec, archiveOpts);
            await checkWaste(warn);
            return out;
          },
        );
        if ('index' in written) summary.imageDigest ??= written.descriptor.digest;
        else {
          summary.imageDigest ??= written.manifestDescriptor.digest;
          summary.configDigest ??= written.configDescriptor.digest;
        }
        summary.written.push(`${spec.type} ${spec.tar ? 'archive' : 'layout'} ${spec.dest}`);
        break;
      }
      case 'local':
      case 'tar': {
        await exportStep(hooks, spec.type === 'local' ? 'copying files' : 'sending tarball', async () => {
          const dirs: { path: string; release(): Promise<void> }[] = [];
          try {
            for (const t of targets) dirs.push(await executor.readableDir(t.result));
            const roots = multi
              ? dirs.map((d, i) => ({ path: d.path, prefix: formatPlatform(imagePlatform(targets[i]!.compiled, targets[i]!.platform)).replaceAll('/', '_') }))
              : dirs[0]!.path;
            await exportFilesystem(roots, spec, hooks.stdout ? { stdout: hooks.stdout } : {});
          } finally {
            await Promise.all(dirs.map((d) => d.release()));
          }
        });
        summary.written.push(`${spec.type} ${multi ? join(spec.dest, '<platform>') : spec.dest}`);
        break;
      }
      default:
        spec satisfies never;
    }
  }
  summary.waste = waste;
  return summary;
}

/** `--iidfile` and `--metadata-file`, as docker buildx writes them. */
export async function writeBuildFiles(summary: ExportSummary, opts: { iidfile?: string; metadataFile?: string }): Promise<void> {
  const id = summary.configDigest ?? summary.imageDigest;
  if (opts.iidfile && id) await writeFile(opts.iidfile, id);
  if (opts.metadataFile) {
    const meta: Record<string, unknown> = {};
    if (summary.imageDigest) meta['containerimage.digest'] = summary.imageDigest;
    if (summary.configDigest) meta['containerimage.config.digest'] = summary.configDigest;
    if (summary.names.length) meta['image.name'] = summary.names.join(',');
    await writeFile(opts.metadataFile, JSON.stringify(meta, null, 2) + '\n');
  }
}
