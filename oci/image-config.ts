// Writing the image config: container settings in a fixed key order, `rootfs.diff_ids` from the
// layers, one history entry per layer (plus `empty_layer` entries for instructions that made none),
// and times clamped to SOURCE_DATE_EPOCH so that equal inputs give equal bytes.
import type { Digest } from '../llb/index.ts';
import type { ContainerConfig, HealthConfig, HistoryEntry, ImageConfig, OciPlatform } from './types.ts';

/** Comment on history entries this writer had to invent for layers the frontend did not describe. */
export const SYNTHETIC_HISTORY_COMMENT = 'tsbuild.exporter.image.v0';

export interface ImageConfigInput {
  platform: OciPlatform;
  /** Final container settings (base's merged with the build's). */
  config?: ContainerConfig;
  /** Whole history: the base image's entries followed by the build's. */
  history?: HistoryEntry[];
  /** How many leading history entries came from the base image; those are never clamped. */
  baseHistoryLength?: number;
  author?: string;
  /** Time of the build when no epoch is given (default: now). */
  created?: Date;
  /** SOURCE_DATE_EPOCH in seconds. */
  sourceDateEpoch?: number;
  /** `--cache-to type=inline`: the cache config, base64 of its JSON, kept in the image config. */
  inlineCache?: string;
}

export interface LayerInfo {
  diffID: Digest;
  description?: string;
}

/** `SOURCE_DATE_EPOCH` from the environment (or an explicit value), validated; undefined when unset. */
export function parseSourceDateEpoch(value: string | undefined = process.env['SOURCE_DATE_EPOCH']): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new RangeError(`SOURCE_DATE_EPOCH must be a number of seconds since 1970, got ${JSON.stringify(value)}`);
  return Number(value);
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

export function buildImageConfig(input: ImageConfigInput, layers: readonly LayerInfo[]): ImageConfig {
  const epoch = input.sourceDateEpoch;
  const epochDate = epoch !== undefined ? new Date(epoch * 1000) : undefined;
  const now = epochDate ?? input.created ?? new Date();
  const history = normalizeHistory(input.history ?? [], layers, rfc3339(now));
  const baseLen = input.baseHistoryLength ?? 0;
  if (epochDate) {
    for (let i = baseLen; i < history.length; i++) {
      const h = history[i]!;
      const t = h.created !== undefined ? Date.parse(h.created) : NaN;
      if (Number.isNaN(t) || t > epochDate.getTime()) history[i] = { ...h, created: rfc3339(epochDate) };
    }
  }
  const created = epochDate ? rfc3339(epochDate) : (history.at(-1)?.created ?? rfc3339(now));
  const p = input.platform;
  const out: ImageConfig = {
    created,
    ...(input.author !== undefined ? { author: input.author } : {}),
    architecture: p.architecture,
    os: p.os,
    ...(p['os.version'] !== undefined ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features'] !== undefined ? { 'os.features': p['os.features'] } : {}),
    ...(p.variant !== undefined ? { variant: p.variant } : {}),
    config: orderContainerConfig(input.config ?? {}),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: history.map(orderHistory),
    ...(input.inlineCache !== undefined ? { 'moby.buildkit.cache.v0': input.inlineCache } : {}),
  };
  return out;
}

/**
 * Makes the count of non-empty history entries equal the number of layers: missing entries are
 * appended (described by the layer, with a marker comment); surplus ones become empty_layer.
 */
export function normalizeHistory(history: readonly HistoryEntry[], layers: readonly LayerInfo[], created: string): HistoryEntry[] {
  const out = history.map((h) => ({ ...h }));
  let nonEmpty = out.filter((h) => !h.empty_layer).length;
  for (let i = out.length - 1; i >= 0 && nonEmpty > layers.length; i--) {
    if (!out[i]!.empty_layer) {
      out[i]!.empty_layer = true;
      nonEmpty--;
    }
  }
  while (nonEmpty < layers.length) {
    const layer = layers[nonEmpty]!;
    out.push({ created, created_by: layer.description ?? '', comment: SYNTHETIC_HISTORY_COMMENT });
    nonEmpty++;
  }
  return out;
}

function orderHistory(h: HistoryEntry): HistoryEntry {
  const o: HistoryEntry = {};
  if (h.created !== undefined) o.created = h.created;
  if (h.created_by !== undefined) o.created_by = h.created_by;
  if (h.author !== undefined) o.author = h.author;
  if (h.comment !== undefined) o.comment = h.comment;
  if (h.empty_layer) o.empty_layer = true;
  return o;
}

function sortedKeys<T>(rec: Record<string, T> | undefined): Record<string, T> | undefined {
  if (rec === undefined) return undefined;
  const o: Record<string, T> = {};
  for (const k of Object.keys(rec).sort()) o[k] = rec[k]!;
  return o;
}

function orderHealth(h: HealthConfig): HealthConfig {
  const o: HealthConfig = {};
  if (h.Test !== undefined) o.Test = h.Test;
  if (h.Interval !== undefined) o.Interval = h.Interval;
  if (h.Timeout !== undefined) o.Timeout = h.Timeout;
  if (h.StartPeriod !== undefined) o.StartPeriod = h.StartPeriod;
  if (h.StartInterval !== undefined) o.StartInterval = h.StartInterval;
  if (h.Retries !== undefined) o.Retries = h.Retries;
  return o;
}

/** Same settings, keys in one fixed order and maps sorted, so the JSON bytes depend only on content. */
export function orderContainerConfig(c: ContainerConfig): ContainerConfig {
  const o: ContainerConfig = {};
  if (c.User !== undefined) o.User = c.User;
  if (c.ExposedPorts !== undefined) o.ExposedPorts = sortedKeys(c.ExposedPorts)!;
  if (c.Env !== undefined) o.Env = c.Env;
  if (c.Entrypoint !== undefined) o.Entrypoint = c.Entrypoint;
  if (c.Cmd !== undefined) o.Cmd = c.Cmd;
  if (c.Volumes !== undefined) o.Volumes = sortedKeys(c.Volumes)!;
  if (c.WorkingDir !== undefined) o.WorkingDir = c.WorkingDir;
  if (c.Labels !== undefined) o.Labels = sortedKeys(c.Labels)!;
  if (c.StopSignal !== undefined) o.StopSignal = c.StopSignal;
  if (c.Healthcheck !== undefined) o.Healthcheck = orderHealth(c.Healthcheck);
  if (c.Shell !== undefined) o.Shell = c.Shell;
  if (c.OnBuild !== undefined) o.OnBuild = c.OnBuild;
  if (c.ArgsEscaped !== undefined) o.ArgsEscaped = c.ArgsEscaped;
  return o;
}
