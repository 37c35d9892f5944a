// `--output` / `-o` values in BuildKit's syntax: comma-separated `key=value` fields, CSV-quoted when a
// value holds commas (`"name=a:1,b:2"`). Shorthands: `-o DIR` is `type=local,dest=DIR`; `-o -` is
// `type=tar,dest=-` (stdout). `type=registry` is `type=image,push=true`.
import { isCompression, checkLevel, DEFAULT_COMPRESSION, type CompressionOptions } from './compression/types.ts';
import { OutputSpecError } from './errors.ts';
import { parseReference } from './reference.ts';

interface CommonImageOutput {
  /** Image names from `name=` (comma-separated inside a quoted field). */
  names: string[];
  compression: CompressionOptions;
  /** `force-compression=true`: recompress base layers too. */
  forceCompression: boolean;
  ociMediaTypes: boolean;
  rewriteTimestamp: boolean;
  /** `source-date-epoch=<seconds>` (the build arg SOURCE_DATE_EPOCH is passed here too). */
  sourceDateEpoch: number | undefined;
  /** `annotation.<key>=<value>` and `annotation-manifest.<key>=<value>`. */
  annotations: Record<string, string>;
}

export interface ImageOutput extends CommonImageOutput {
  type: 'image';
  push: boolean;
  insecure: boolean;
  /** `store=false`: push without keeping the image in the local store. */
  store: boolean;
}

export interface ArchiveOutput extends CommonImageOutput {
  type: 'oci' | 'docker';
  /** File (tar), directory (tar=false), or `-` for stdout. */
  dest: string;
  tar: boolean;
}

export interface LocalOutput {
  type: 'local';
  dest: string;
  rewriteTimestamp: boolean;
  sourceDateEpoch: number | undefined;
}

export interface TarOutput {
  type: 'tar';
  /** File or `-` for stdout. */
  dest: string;
  rewriteTimestamp: boolean;
  sourceDateEpoch: number | undefined;
}

export type OutputSpec = ImageOutput | ArchiveOutput | LocalOutput | TarOutput;

/** Splits one CSV record; double quotes group (and `""` escapes a quote), as Go's encoding/csv. */
export function splitCsv(input: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error('unterminated quote');
  fields.push(cur);
  return fields;
}

const commonImageKeys = ['name', 'compression', 'compression-level', 'force-compression', 'oci-mediatypes', 'rewrite-timestamp', 'source-date-epoch'];
const knownKeys: Record<OutputSpec['type'], string[]> = {
  image: ['type', ...commonImageKeys, 'push', 'registry.insecure', 'store', 'unpack', 'push-by-digest', 'dangling-name-prefix', 'name-canonical'],
  oci: ['type', 'dest', 'tar', ...commonImageKeys],
  docker: ['type', 'dest', 'tar', ...commonImageKeys],
  local: ['type', 'dest', 'rewrite-timestamp', 'source-date-epoch', 'platform-split', 'mode'],
  tar: ['type', 'dest', 'rewrite-timestamp', 'source-date-epoch', 'platform-split'],
};

export function parseOutputSpec(spec: string): OutputSpec {
  const s = spec.trim();
  if (s === '') throw new OutputSpecError(spec, 'empty value');
  if (s === '-') return { type: 'tar', dest: '-', rewriteTimestamp: false, sourceDateEpoch: undefined };
  if (!s.includes('=') && !s.includes(',')) return { type: 'local', dest: s, rewriteTimestamp: false, sourceDateEpoch: undefined };

  let fields: string[];
  try {
    fields = splitCsv(s);
  } catch (err) {
    throw new OutputSpecError(spec, (err as Error).message);
  }
  const attrs = new Map<string, string>();
  const annotations: Record<string, string> = {};
  for (const f of fields) {
    if (f.trim() === '') continue;
    const eq = f.indexOf('=');
    const key = (eq < 0 ? f : f.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : f.slice(eq + 1);
    const ann = /^annotation(?:-manifest)?\.(.+)$/.exec(f.slice(0, eq < 0 ? f.length : eq).trim());
    if (ann) {
      annotations[ann[1]!] = value;
      continue;
    }
    if (attrs.has(key) && key !== 'name') throw new OutputSpecError(spec, `"${key}" is given twice`);
    attrs.set(key, key === 'name' && attrs.has('name') ? `${attrs.get('name')},${value}` : value);
  }
  const rawType = attrs.get('type');
  if (rawType === undefined) throw new OutputSpecError(spec, 'missing type= (one of image, registry, oci, docker, local, tar)');
  let type: OutputSpec['type'];
  if (rawType === 'registry') {
    type = 'image';
    if (!attrs.has('push')) attrs.set('push', 'true');
  } else if (rawType === 'image' || rawType === 'oci' || rawType === 'docker' || rawType === 'local' || rawType === 'tar') type = rawType;
  else throw new OutputSpecError(spec, `unknown type "${rawType}" (one of image, registry, oci, docker, local, tar)`);

  for (const key of attrs.keys()) {
    if (!knownKeys[type].includes(key))
      throw new OutputSpecError(spec, `unknown option "${key}" for type=${type} (known: ${knownKeys[type].filter((k) => k !== 'type').join(', ')})`);
  }

  const bool = (key: string, dflt: boolean): boolean => {
    const v = attrs.get(key);
    if (v === undefined) return dflt;
    if (v === '' || /^(true|1|t)$/i.test(v)) return true;
    if (/^(false|0|f)$/i.test(v)) return false;
    throw new OutputSpecError(spec, `${key}=${v}: expected true or false`);
  };
  const epochAttr = attrs.get('source-date-epoch');
  let sourceDateEpoch: number | undefined;
  if (epochAttr !== undefined && epochAttr !== '') {
    if (!/^\d+$/.test(epochAttr)) throw new OutputSpecError(spec, `source-date-epoch=${epochAttr}: expected seconds since 1970`);
    sourceDateEpoch = Number(epochAttr);
  }
  const rewriteTimestamp = bool('rewrite-timestamp', false);
  const dest = attrs.get('dest');

  if (type === 'local' || type === 'tar') {
    if (!dest) throw new OutputSpecError(spec, `type=${type} needs dest=<${type === 'local' ? 'directory' : 'file or -'}>`);
    return { type, dest, rewriteTimestamp, sourceDateEpoch };
  }

  const names = (attrs.get('name') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of names) {
    try {
      parseReference(n);
    } catch (err) {
      throw new OutputSpecError(spec, (err as Error).message);
    }
  }
  const ctype = attrs.get('compression') ?? DEFAULT_COMPRESSION.type;
  if (!isCompression(ctype)) throw new OutputSpecError(spec, `compression=${ctype}: expected gzip, zstd or uncompressed`);
  const compression: CompressionOptions = { type: ctype };
  const lvl = attrs.get('compression-level');
  if (lvl !== undefined) {
    if (!/^\d+$/.test(lvl)) throw new OutputSpecError(spec, `compression-level=${lvl}: expected an integer`);
    compression.level = Number(lvl);
    try {
      checkLevel(compression);
    } catch (err) {
      throw new OutputSpecError(spec, (err as Error).message);
    }
  }
  const forceCompression = bool('force-compression', false);
  if (forceCompression) compression.force = true;
  const common: CommonImageOutput = {
    names,
    compression,
    forceCompression,
    ociMediaTypes: bool('oci-mediatypes', type !== 'docker'),
    rewriteTimestamp,
    sourceDateEpoch,
    annotations,
  };
  if (type === 'image') {
    const push = bool('push', false);
    if (push && names.length === 0) throw new OutputSpecError(spec, 'push=true needs name=<image reference> (or -t)');
    return { type, ...common, push, insecure: bool('registry.insecure', false), store: bool('store', true) };
  }
  const tar = bool('tar', true);
  if (!dest) throw new OutputSpecError(spec, `type=${type} needs dest=<${tar ? 'file.tar or -' : 'directory'}>`);
  if (!tar && dest === '-') throw new OutputSpecError(spec, 'tar=false writes a directory; dest=- (stdout) needs a tar');
  return { type, ...common, dest, tar };
}
