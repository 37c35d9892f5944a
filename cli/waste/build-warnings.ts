// After an image export: the bytes a step deletes or overwrites that an earlier step of the same
// build added (they still ship, in the earlier layer), as build warnings. Works from the layer
// listings the export made while writing the layers, so it costs no walk of the filesystem.
import { analyzeWaste, type DeadBytes, type LayerSource, type WasteAnalysis } from '../../oci/index.ts';
import { formatBytes } from '../progress/index.ts';

/** Smaller amounts are not worth a warning (they still count for --fail-on-waste). */
export const MIN_WARNED_BYTES = 64 * 1024;

export interface WasteWarning {
  /** Index of the layer (the step) that deletes or overwrites. */
  readonly layer: number;
  readonly from: number;
  readonly bytes: number;
  readonly short: string;
  readonly detail: string;
}

export interface BuildWaste {
  readonly warnings: readonly WasteWarning[];
  /** Σ file bytes of the whole image, when the base layers were listed (see BuildWasteOptions). */
  readonly sizeBytes?: number;
  /** Dead bytes of every pair the warnings consider, those below MIN_WARNED_BYTES included. */
  readonly deadBytes: number;
}

/** `[3/6] RUN x` → `step 3 (RUN x)`; a stage prefix is kept: `step builder 2 (COPY …)`. */
export function stepLabel(description: string | undefined, index: number, baseLayers: number): string {
  if (index < baseLayers) return `base image layer ${index + 1}${description ? ` (${description})` : ''}`;
  const m = /^\[(?:(.+) )?(\d+)\/\d+\] ([\s\S]*)$/.exec(description ?? '');
  if (m) return `step ${m[1] ? `${m[1]} ` : ''}${m[2]} (${shorten(m[3]!)})`;
  return description ? `step "${description}"` : `layer ${index + 1}`;
}

const MAX_COMMAND = 60;

function shorten(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length <= MAX_COMMAND ? one : `${one.slice(0, MAX_COMMAND - 1)}…`;
}

function message(d: DeadBytes, layers: readonly LayerSource[], baseLayers: number): string {
  const who = stepLabel(layers[d.layer]?.description, d.layer, baseLayers);
  const whose = stepLabel(layers[d.from]?.description, d.from, baseLayers);
  const what = [
    d.deletedBytes > 0 ? `deletes ${formatBytes(d.deletedBytes)}` : '',
    d.overwrittenBytes > 0 ? `overwrites ${formatBytes(d.overwrittenBytes)}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const advice =
    d.from < baseLayers
      ? 'start from an image without them'
      : d.deletedBytes > 0
        ? 'do both in one RUN, or use a cache mount'
        : 'write the final version in one step';
  return `${who} ${what} that ${whose} added; they still ship: ${advice}`;
}

export interface BuildWasteOptions {
  /** Warn of the base image's bytes too. */
  readonly checkBase: boolean;
  /** The whole image's size is wanted (a --fail-on-waste ratio). */
  readonly imageSize: boolean;
}

/**
 * Analyses by the analysed layers' diff_ids: a process that builds again (the build server,
 * watch mode) and exports the same layers gets the same answer without reading their listings.
 */
const analyses = new Map<string, WasteAnalysis>();
const KEPT_ANALYSES = 16;

async function analysisOf(layers: readonly LayerSource[]): Promise<WasteAnalysis> {
  const key = (await Promise.all(layers.map((l) => l.diffID()))).join(',');
  const known = analyses.get(key);
  if (known) return known;
  const analysis = analyzeWaste(await Promise.all(layers.map((l) => l.files())));
  if (analyses.size >= KEPT_ANALYSES) analyses.delete(analyses.keys().next().value!);
  analyses.set(key, analysis);
  return analysis;
}

export async function buildWaste(layers: readonly LayerSource[], baseLayers: number, opts: BuildWasteOptions): Promise<BuildWaste> {
  // Listing a base layer the first time reads its blob (a pushed image may not even have it
  // locally): done only when the base's bytes or the image's size are asked for. Without them,
  // a step's deletion of a base file finds nothing below it and kills nothing, as it should.
  const skip = opts.checkBase || opts.imageSize ? 0 : baseLayers;
  // One layer over the base kills nothing of its own, and the base is not looked at: its
  // listing (20,000 entries for a big context's COPY) need not be read.
  if (skip > 0 && layers.length - skip <= 1) return { warnings: [], deadBytes: 0 };
  const analysis = await analysisOf(layers.slice(skip));
  const counted = analysis.dead
    .map((d) => ({ ...d, layer: d.layer + skip, from: d.from + skip }))
    .filter((d) => d.layer >= baseLayers && (opts.checkBase || d.from >= baseLayers));
  const warnings = counted
    .map((d) => ({ d, bytes: d.deletedBytes + d.overwrittenBytes }))
    .filter(({ bytes }) => bytes >= MIN_WARNED_BYTES)
    .map(({ d, bytes }): WasteWarning => ({
      layer: d.layer,
      from: d.from,
      bytes,
      short: message(d, layers, baseLayers),
      detail: `largest: ${d.paths.map((p) => `/${p}`).join(', ')}`,
    }));
  return {
    warnings,
    deadBytes: counted.reduce((s, d) => s + d.deletedBytes + d.overwrittenBytes, 0),
    ...(skip === 0 ? { sizeBytes: analysis.sizeBytes } : {}),
  };
}
