// `RUN --mount=type=…,key=value,…`: CSV fields, keys as BuildKit accepts them, values expanded
// with the stage's variables.
import { InstructionError } from '../errors.ts';
import type { CacheSharing, MountKind, RunMount } from './commands.ts';
import { withSuggestion } from './suggest.ts';

const mountTypes: readonly MountKind[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharingModes: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const allKeys = [
  'type',
  'from',
  'source',
  'target',
  'readonly',
  'id',
  'sharing',
  'required',
  'size',
  'mode',
  'uid',
  'gid',
  'src',
  'dst',
  'destination',
  'ro',
  'rw',
  'readwrite',
  'env',
];

// A declaration, not an arrow: only then does TypeScript treat a call as ending the path.
function fail(m: string): never {
  throw new InstructionError(m);
}

/** Splits one CSV record (RFC 4180 quoting, as Go's encoding/csv reads it). */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) fail(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        const ch = text[i] as string;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += ch;
        i++;
      }
      if (i < text.length && text[i] !== ',') fail(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') fail(`failed to parse csv mounts: bare " in non-quoted-field`);
        field += text[i];
        i++;
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** Go's strconv.ParseBool spellings. */
function parseBool(key: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return fail(`invalid value for ${key}: ${v}`);
}

/** docker/go-units RAMInBytes: `64m`, `1g`, `512kb`, plain bytes. */
export function ramInBytes(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP]?)[iI]?[bB]?$/.exec(v);
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * (mult[(m[2] ?? '').toLowerCase()] ?? 1));
}

function uint(v: string, radix: number, what: string): number {
  const re = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = re.test(v) ? Number.parseInt(v, radix) : NaN;
  if (!Number.isFinite(n) || n > 0xffffffff) fail(`invalid value ${v} for ${what}`);
  return n;
}

export function parseMount(value: string, expand: (word: string) => string): RunMount {
  let type: MountKind = 'bind';
  let from: string | undefined;
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let roAuto = true;
  let id: string | undefined;
  let sharing: CacheSharing | undefined;
  let required = false;
  let size: number | undefined;
  let mode: number | undefined;
  let uid: number | undefined;
  let gid: number | undefined;
  let env: string | undefined;

  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        readOnly = true;
        roAuto = false;
      } else if (key === 'readwrite' || key === 'rw') {
        readOnly = false;
        roAuto = false;
      } else if (key === 'required') {
        if (type !== 'secret' && type !== 'ssh') fail(`unexpected key '${key}' for mount type '${type}'`);
        required = true;
      } else fail(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    const v = expand(field.slice(eq + 1));
    switch (key) {
      case 'type': {
        const t = v.toLowerCase() as MountKind;
        if (!mountTypes.includes(t)) fail(withSuggestion(`unsupported mount type ${JSON.stringify(v)}`, v, mountTypes, true));
        type = t;
        break;
      }
      case 'from':
        from = v;
        break;
      case 'source':
      case 'src':
        source = v;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        target = v;
        break;
      case 'readonly':
      case 'ro':
        readOnly = parseBool(key, v);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        readOnly = !parseBool(key, v);
        roAuto = false;
        break;
      case 'required':
        if (type !== 'secret' && type !== 'ssh') fail(`unexpected key '${key}' for mount type '${type}'`);
        required = parseBool(key, v);
        break;
      case 'size':
        if (type !== 'tmpfs') fail(`unexpected key '${key}' for mount type '${type}'`);
        size = ramInBytes(v);
        if (size === undefined) fail(`invalid value for ${key}: ${v}`);
        break;
      case 'id':
        id = v;
        break;
      case 'sharing': {
        const s = v.toLowerCase() as CacheSharing;
        if (!sharingModes.includes(s)) fail(withSuggestion(`unsupported sharing value ${JSON.stringify(v)}`, v, sharingModes, true));
        sharing = s;
        break;
      }
      case 'mode':
        mode = uint(v, 8, 'mode');
        break;
      case 'uid':
        uid = uint(v, 10, 'uid');
        break;
      case 'gid':
        gid = uint(v, 10, 'gid');
        break;
      case 'env':
        env = v;
        break;
      default:
        fail(withSuggestion(`unexpected key '${key}' in '${field}'`, key, allKeys, true));
    }
  }

  if (type !== 'secret' && type !== 'ssh' && type !== 'cache') {
    if (mode !== undefined) fail(`mode not allowed for "${type}" type mounts`);
    if (uid !== undefined) fail(`uid not allowed for "${type}" type mounts`);
    if (gid !== undefined) fail(`gid not allowed for "${type}" type mounts`);
  }
  if (roAuto) readOnly = !(type === 'cache' || type === 'tmpfs');
  if (type === 'secret') {
    if (from !== undefined && from !== '') fail('secret mount should not have a from');
    if (sharing) fail('secret mount should not define sharing');
    if (!source && !target && !id) fail('invalid secret mount. one of source, target required');
    if (source && id) fail("both source and id can't be set");
  }
  if (sharing && type !== 'cache') fail(`invalid cache sharing set for ${type} mount`);
  return { type, from, source, target, readOnly, id, sharing, required, size, mode, uid, gid, env };
}
