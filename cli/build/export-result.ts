// After a solve: turns the result into what `--output` asked for. Without an output the image goes
// to the local image store under the `-t` names (docker's default with a local daemon).
import { writeFile } from 'node:fs/promises';
import type { Result } from '../../solver/index.ts';
import type { Executor } from '../../executor/index.ts';
import {
  exportArchive,
  exportFilesystem,
  exportToImageStore,
  hostPlatform,
  parseOutputSpec,
  parseSourceDateEpoch,
  type ContainerConfig,
  type ExportableImage,
  type LayerSource,
  type OciPlatform,
  type OutputSpec,
} from '../../oci/index.ts';
import type { BuildHooks, CompiledBuild } from './run-build.ts';
import { exportStep } from './export-step.ts';
import type { BuildRequest } from './request.ts';

export interface ExportSummary {
  /** Manifest digest of the image (local store, or the archive's), when an image was written. */
  readonly imageDigest?: string;
  readonly configDigest?: string;
  /** Names the image was stored or pushed under. */
  readonly names: readonly string[];
  readonly pushed: readonly string[];
  /** What each output wrote, for messages. */
  readonly written: readonly string[];
}

function platformOf(compiled: CompiledBuild, req: BuildRequest): OciPlatform {
  const host = hostPlatform();
  const img = compiled.image;
  return {
    architecture: img?.architecture || req.platform.architecture || host.architecture,
    os: img?.os || req.platform.os || host.os,
    ...((img?.variant ?? req.platform.variant) ? { variant: (img?.variant ?? req.platform.variant)! } : {}),
  };
}

async function exportable(
  executor: Executor,
  result: Result | undefined,
  compiled: CompiledBuild,
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
      platform: platformOf(compiled, req),
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

export async function exportResult(
  executor: Executor,
  result: Result | undefined,
  compiled: CompiledBuild,
  req: BuildRequest,
  hooks: BuildHooks,
  /** `--cache-to type=inline`: the cache config to keep in the image config. */
  inlineCache?: string,
): Promise<ExportSummary> {
  const outputs = defaultOutputs(req);
  let image: ExportableImage | undefined;
  const summary = {
    names: [] as string[],
    pushed: [] as string[],
    written: [] as string[],
    imageDigest: undefined as string | undefined,
    configDigest: undefined as string | undefined,
  };
  for (const spec of outputs) {
    switch (spec.type) {
      case 'image': {
        image ??= await exportable(executor, result, compiled, req, inlineCache);
        const toStore = image;
        const r = await exportStep(hooks, 'exporting to image', (status) =>
          exportToImageStore(
            {
              content: executor.stores.content,
              images: executor.stores.images,
              registry: executor.registry,
              onPushProgress: (p) => status(`pushing ${p.digest}`, p.current, p.total, p.done),
            },
            toStore,
            spec,
            req.tags,
          ),
        );
        if (r.local) {
          summary.imageDigest = r.local.manifestDescriptor.digest;
          summary.configDigest = r.local.configDescriptor.digest;
        }
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
        image ??= await exportable(executor, result, compiled, req, inlineCache);
        const toArchive = image;
        const written = await exportStep(hooks, `exporting to ${spec.type === 'oci' ? 'oci' : 'docker'} image format`, () =>
          exportArchive(executor.stores.content, toArchive, spec, {
            extraNames: req.tags,
            ...(hooks.stdout ? { stdout: hooks.stdout } : {}),
          }),
        );
        summary.imageDigest ??= written.manifestDescriptor.digest;
        summary.configDigest ??= written.configDescriptor.digest;
        summary.written.push(`${spec.type} ${spec.tar ? 'archive' : 'layout'} ${spec.dest}`);
        break;
      }
      case 'local':
      case 'tar': {
        await exportStep(hooks, spec.type === 'local' ? 'copying files' : 'sending tarball', async () => {
          const dir = await executor.readableDir(result);
          try {
            await exportFilesystem(dir.path, spec, hooks.stdout ? { stdout: hooks.stdout } : {});
          } finally {
            await dir.release();
          }
        });
        summary.written.push(`${spec.type} ${spec.dest}`);
        break;
      }
      default:
        spec satisfies never;
    }
  }
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
