// `tsbuild inspect`'s findings as data (what --json prints) and as text. Sizes: `size` is the
// layer blob as stored or served (compressed or not), `uncompressedSize` its tar, `filesBytes`
// the content of its regular files; image size and wasted bytes count file content, as dive does.
import { analyzeWaste, formatPlatform, type ImageConfig, type InefficientPath } from '../../oci/index.ts';
import { formatBytes } from '../progress/index.ts';
import type { OpenedImage } from './open-image.ts';

export interface LayerReport {
  readonly index: number;
  readonly digest: string;
  readonly diffID: string;
  readonly mediaType: string;
  readonly size: number;
  readonly uncompressedSize: number;
  readonly filesBytes: number;
  /** The history entry's `created_by` (what made the layer), when the config has one. */
  readonly createdBy?: string;
  readonly added: number;
  readonly changed: number;
  readonly deleted: number;
}

export interface InspectReport {
  readonly reference: string;
  readonly from: string;
  readonly digest: string;
  readonly platforms: readonly string[];
  readonly platform: string;
  readonly config: ImageConfig;
  readonly layers: readonly LayerReport[];
  readonly sizeBytes: number;
  readonly wastedBytes: number;
  /** Bytes of lower layers the final filesystem no longer shows (deleted or overwritten later). */
  readonly deadBytes: number;
  readonly efficiency: number;
  readonly inefficientPaths: readonly InefficientPath[];
}

/** History entries that made layers, in layer order (empty_layer entries made none). */
function layerHistory(config: ImageConfig): (string | undefined)[] {
  return (config.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created_by ?? h.comment);
}

export async function inspectReport(opened: OpenedImage): Promise<InspectReport> {
  const { image } = opened;
  const files = await Promise.all(image.layers.map((l) => l.files()));
  const analysis = analyzeWaste(files);
  const history = layerHistory(image.config);
  return {
    reference: opened.name,
    from: opened.from,
    digest: opened.topDigest,
    platforms: opened.platforms.map((p) => formatPlatform(p)),
    platform: formatPlatform(image.config),
    config: image.config,
    layers: image.manifest.layers.map((d, i): LayerReport => {
      const s = analysis.layers[i]!;
      const createdBy = history[i];
      return {
        index: i + 1,
        digest: d.digest,
        diffID: image.config.rootfs.diff_ids[i]!,
        mediaType: d.mediaType,
        size: d.size,
        uncompressedSize: files[i]!.tarSize,
        filesBytes: s.bytes,
        ...(createdBy !== undefined ? { createdBy } : {}),
        added: s.added,
        changed: s.changed,
        deleted: s.deleted,
      };
    }),
    sizeBytes: analysis.sizeBytes,
    wastedBytes: analysis.wastedBytes,
    deadBytes: analysis.dead.reduce((n, d) => n + d.deletedBytes + d.overwrittenBytes, 0),
    efficiency: analysis.efficiency,
    inefficientPaths: analysis.inefficientPaths,
  };
}

const MAX_PATHS = 20;

function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

export function formatReport(r: InspectReport): string {
  const out: string[] = [];
  out.push(`Image:      ${r.from.endsWith(r.reference) ? r.from : `${r.reference} (${r.from})`}`);
  out.push(`Digest:     ${r.digest}`);
  out.push(`Platforms:  ${r.platforms.join(', ') || r.platform}${r.platforms.length > 1 ? ` (shown: ${r.platform})` : ''}`);
  if (r.config.created) out.push(`Created:    ${r.config.created}`);
  const c = r.config.config ?? {};
  for (const [k, v] of Object.entries(c)) {
    if (v === undefined || v === null) continue;
    out.push(`  ${k}: ${JSON.stringify(v)}`);
  }
  out.push('', 'Layers:');
  const rows = [
    ['#', 'SIZE', 'UNCOMPRESSED', 'ADDED', 'CHANGED', 'DELETED', 'CREATED BY'],
    ...r.layers.map((l) => [
      String(l.index),
      formatBytes(l.size),
      formatBytes(l.uncompressedSize),
      String(l.added),
      String(l.changed),
      String(l.deleted),
      (l.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 80),
    ]),
  ];
  out.push(...table(rows, new Set([0, 1, 2, 3, 4, 5])).map((l) => `  ${l}`));
  out.push('');
  out.push(`Image size:    ${formatBytes(r.sizeBytes)} (${r.sizeBytes} bytes of files)`);
  out.push(`Wasted bytes:  ${formatBytes(r.wastedBytes)} (${r.wastedBytes} bytes)`);
  out.push(`Dead bytes:    ${formatBytes(r.deadBytes)} (${r.deadBytes} bytes deleted or overwritten by a later layer)`);
  out.push(`Efficiency:    ${percent(r.efficiency)}`);
  if (r.inefficientPaths.length > 0) {
    out.push('', `Paths in more than one layer${r.inefficientPaths.length > MAX_PATHS ? ` (largest ${MAX_PATHS} of ${r.inefficientPaths.length})` : ''}:`);
    const paths = [['COUNT', 'BYTES', 'PATH'], ...r.inefficientPaths.slice(0, MAX_PATHS).map((p) => [String(p.count), formatBytes(p.bytes), `/${p.path}`])];
    out.push(...table(paths, new Set([0, 1])).map((l) => `  ${l}`));
  }
  return out.join('\n') + '\n';
}
