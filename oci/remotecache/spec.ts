// `--cache-to` / `--cache-from` values in buildx's grammar: comma-separated key=value fields
// (CSV-quoted when a value holds commas). A bare value is `type=registry,ref=VALUE`.
import { checkLevel, isCompression, type CompressionOptions } from '../compression/index.ts';
import { splitCsv } from '../output-spec.ts';
import { parseReference, type ImageReference } from '../reference.ts';

export type CacheMode = 'min' | 'max';

interface CommonCacheSpec {
  /** The flag's value as given, for messages. */
  readonly raw: string;
  /** `mode=min` (default): the final result's steps; `max`: every step built. Export only. */
  readonly mode: CacheMode;
  readonly compression: CompressionOptions;
  readonly ociMediaTypes: boolean;
  readonly imageManifest: boolean;
  /** `ignore-error=true`: an export failure is a warning. */
  readonly ignoreError: boolean;
}

export interface RegistryCacheSpec extends CommonCacheSpec {
  readonly type: 'registry';
  readonly ref: ImageReference;
}

export interface LocalCacheSpec extends CommonCacheSpec {
  readonly type: 'local';
  /** `dest=` for export, `src=` for import. */
  readonly dir: string;
  readonly tag: string;
}

export interface InlineCacheSpec extends CommonCacheSpec {
  readonly type: 'inline';
}

export type CacheSpec = RegistryCacheSpec | LocalCacheSpec | InlineCacheSpec;

export class CacheSpecError extends Error {
  override readonly name = 'CacheSpecError';
  constructor(flag: string, raw: string, problem: string) {
    super(`invalid ${flag} "${raw}": ${problem}`);
  }
}

const known: Record<CacheSpec['type'], string[]> = {
  registry: ['type', 'ref', 'mode', 'compression', 'compression-level', 'force-compression', 'oci-mediatypes', 'image-manifest', 'ignore-error'],
  local: ['type', 'dest', 'src', 'tag', 'mode', 'compression', 'compression-level', 'force-compression', 'oci-mediatypes', 'image-manifest', 'ignore-error'],
  inline: ['type', 'mode'],
};

export function parseCacheSpec(raw: string, direction: 'to' | 'from'): CacheSpec {
  const flag = `--cache-${direction}`;
  const fail = (problem: string): never => {
    throw new CacheSpecError(flag, raw, problem);
  };
  const s = raw.trim();
  if (s === '') fail('empty value');
  let fields: string[] = [];
  try {
    fields = s.includes('=') ? splitCsv(s) : [`type=registry`, `ref=${s}`];
  } catch (err) {
    fail((err as Error).message);
  }
  const attrs = new Map<string, string>();
  for (const f of fields) {
    if (f.trim() === '') continue;
    const eq = f.indexOf('=');
    if (eq <= 0) fail(`field "${f}" is not KEY=VALUE`);
    const key = f.slice(0, eq).trim().toLowerCase();
    if (attrs.has(key)) fail(`"${key}" is given twice`);
    attrs.set(key, f.slice(eq + 1));
  }
  const type = attrs.get('type') ?? (attrs.has('ref') ? 'registry' : undefined);
  if (type === 'inline' && direction === 'from') fail('an inline cache is read with type=registry,ref=IMAGE');
  if (type !== 'registry' && type !== 'local' && type !== 'inline') {
    return fail(type === undefined ? 'missing type= (registry, local or inline)' : `unknown type "${type}" (use registry, local or inline)`);
  }
  for (const key of attrs.keys()) if (!known[type].includes(key)) fail(`unknown option "${key}" for type=${type}`);
  const bool = (key: string, dflt: boolean): boolean => {
    const v = attrs.get(key);
    if (v === undefined) return dflt;
    if (v === 'true' || v === '') return true;
    if (v === 'false') return false;
    return fail(`${key} must be true or false, not "${v}"`);
  };
  const mode = attrs.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') fail(`mode must be min or max, not "${mode}"`);
  const c = attrs.get('compression') ?? 'gzip';
  if (!isCompression(c)) fail(`compression must be gzip, zstd or uncompressed, not "${c}"`);
  const compression: CompressionOptions = { type: c as CompressionOptions['type'], ...(bool('force-compression', false) ? { force: true } : {}) };
  const level = attrs.get('compression-level');
  if (level !== undefined) {
    compression.level = Number(level);
    try {
      checkLevel(compression);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const ociMediaTypes = bool('oci-mediatypes', true);
  const imageManifest = bool('image-manifest', ociMediaTypes);
  if (imageManifest && !ociMediaTypes) fail('image-manifest=true needs oci-mediatypes=true');
  const common = { raw, mode: mode as CacheMode, compression, ociMediaTypes, imageManifest, ignoreError: bool('ignore-error', false) };
  switch (type) {
    case 'registry': {
      const ref = attrs.get('ref');
      if (!ref) return fail('type=registry needs ref=REFERENCE');
      try {
        return { type, ref: parseReference(ref), ...common };
      } catch (err) {
        return fail((err as Error).message);
      }
    }
    case 'local': {
      const key = direction === 'to' ? 'dest' : 'src';
      const dir = attrs.get(key);
      if (!dir) return fail(`type=local needs ${key}=DIR`);
      return { type, dir, tag: attrs.get('tag') || 'latest', ...common };
    }
    case 'inline':
      return { type, ...common };
  }
}
