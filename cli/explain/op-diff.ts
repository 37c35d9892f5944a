// How a step's own definition changed between two builds, in the words of the build file:
// `command changed`, `ENV FOO changed`, `copy source changed`, `image changed: a → b`. Works on
// the ops as recorded (llb's JSON form: pb field names, bytes as base64); the ops' inputs are left
// out, because a changed input is explained by the input itself.
import type { JSONValue } from '../../llb/index.ts';
import { obj, array, strings, str, type Obj } from './json.ts';

/** Most change lists are cut here, ending in `and N more`. */
const SHOWN = 3;

/** Why `current` is not the same op as `previous`; undefined when they are equal (inputs aside). */
export function diffOps(previous: JSONValue, current: JSONValue): string | undefined {
  const p = obj(previous);
  const c = obj(current);
  const kinds = ['exec', 'source', 'file', 'merge', 'diff', 'build', 'passthrough'] as const;
  const pk = kinds.find((k) => p[k] !== undefined);
  const ck = kinds.find((k) => c[k] !== undefined);
  if (pk !== ck) return `step changed from ${pk ?? 'nothing'} to ${ck ?? 'nothing'}`;
  let reason: string | undefined;
  switch (ck) {
    case 'exec':
      reason = diffExec(obj(p.exec), obj(c.exec));
      break;
    case 'source':
      reason = diffSource(obj(p.source), obj(c.source));
      break;
    case 'file':
      reason = diffFile(obj(p.file), obj(c.file));
      break;
    default:
      reason = same(p[ck ?? ''], c[ck ?? '']) ? undefined : `${ck ?? 'step'} changed`;
  }
  if (reason !== undefined) return reason;
  if (!same(p.platform, c.platform)) return 'platform changed';
  if (!same(p.constraints, c.constraints)) return 'worker constraints changed';
  return undefined;
}

// ---- exec -----------------------------------------------------------------------------------

function diffExec(p: Obj, c: Obj): string | undefined {
  const pm = obj(p.meta);
  const cm = obj(c.meta);
  if (!same(pm.args, cm.args)) return 'command changed';
  const env = diffEnv(strings(pm.env), strings(cm.env));
  if (env.length > 0) return list(env);
  if (!same(pm.cwd, cm.cwd)) return 'working directory changed';
  if (!same(pm.user, cm.user)) return 'user changed';
  const mounts = diffMounts(array(p.mounts), array(c.mounts));
  if (mounts !== undefined) return mounts;
  if (!same(p.network, c.network)) return 'network changed';
  if (!same(p.security, c.security)) return 'security mode changed';
  if (!same(p.secretenv, c.secretenv)) return 'secret environment changed';
  const labels: Record<string, string> = {
    hostname: 'hostname changed',
    extraHosts: 'extra hosts changed',
    ulimit: 'ulimits changed',
    cgroupParent: 'cgroup parent changed',
    validExitCodes: 'valid exit codes changed',
    removeMountStubsRecursive: 'mount stub cleanup changed',
  };
  for (const [field, label] of Object.entries(labels)) if (!same(pm[field], cm[field])) return label;
  if (!same(p.cdiDevices, c.cdiDevices)) return 'devices changed';
  // proxyEnv is deliberately not compared: it never enters a cache key.
  return undefined;
}

/** `ENV FOO changed` per key, in the current order, then the removed keys. */
export function diffEnv(previous: readonly string[], current: readonly string[]): string[] {
  const pe = envMap(previous);
  const ce = envMap(current);
  const out: string[] = [];
  for (const [k, v] of ce) {
    if (!pe.has(k)) out.push(`ENV ${k} added`);
    else if (pe.get(k) !== v) out.push(`ENV ${k} changed`);
  }
  for (const k of pe.keys()) if (!ce.has(k)) out.push(`ENV ${k} removed`);
  return out;
}

function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** Mounts by target: which one was added, removed or changed (what it mounts, or its options). */
function diffMounts(previous: JSONValue[], current: JSONValue[]): string | undefined {
  // Cache-mount ids and sharing, and result ids, never enter a cache key: not a reason to run.
  const norm = (m: JSONValue): Obj => {
    const { cacheOpt: _c, resultID: _r, ...rest } = obj(m);
    return rest;
  };
  const byDest = (ms: JSONValue[]) => new Map(ms.map((m) => [str(obj(m).dest) || '/', norm(m)] as const));
  const pm = byDest(previous);
  const cm = byDest(current);
  const out: string[] = [];
  for (const [dest, m] of cm) {
    const old = pm.get(dest);
    if (!old) out.push(`mount ${dest} added`);
    else if (!same(old, m)) out.push(`mount ${dest} changed`);
  }
  for (const dest of pm.keys()) if (!cm.has(dest)) out.push(`mount ${dest} removed`);
  if (out.length > 0) return list(out);
  // Same targets, same options: only the order of the mounts moved.
  return same(previous.map(norm), current.map(norm)) ? undefined : 'mounts changed';
}

// ---- source ---------------------------------------------------------------------------------

function diffSource(p: Obj, c: Obj): string | undefined {
  const pid = str(p.identifier);
  const cid = str(c.identifier);
  if (pid !== cid) {
    const scheme = (id: string) => id.slice(0, Math.max(0, id.indexOf('://')));
    const ref = (id: string) => shortenDigest(id.slice(id.indexOf('://') + 3));
    if (scheme(pid) === 'docker-image' && scheme(cid) === 'docker-image') return `image changed: ${ref(pid)} → ${ref(cid)}`;
    if (scheme(pid) === scheme(cid)) return `source changed: ${ref(pid)} → ${ref(cid)}`;
    return `source changed: ${pid} → ${cid}`;
  }
  const pa = obj(p.attrs);
  const ca = obj(c.attrs);
  const keys = [...new Set([...Object.keys(ca), ...Object.keys(pa)])].filter((k) => !same(pa[k], ca[k]));
  if (keys.length === 0) return undefined;
  return `source changed: ${list(keys.map((k) => attrLabel(k)))}`;
}

function attrLabel(attr: string): string {
  const known: Record<string, string> = {
    'local.includepattern': 'include patterns',
    'local.includepatterns': 'include patterns',
    'local.excludepatterns': 'exclude patterns (.dockerignore)',
    'local.followpaths': 'followed paths',
    'image.resolvemode': 'image resolve mode',
    'http.checksum': 'checksum',
    'http.filename': 'file name',
    'http.perm': 'permissions',
    'git.keepgitdir': 'keep-git-dir',
  };
  return known[attr] ?? attr;
}

/** `busybox@sha256:0123456789abcdef…` → `busybox@sha256:0123456789ab`. */
function shortenDigest(ref: string): string {
  return ref.replace(/(sha256:[0-9a-f]{12})[0-9a-f]{52}/g, '$1');
}

// ---- file -----------------------------------------------------------------------------------

const ACTIONS = ['copy', 'mkfile', 'mkdir', 'rm', 'symlink'] as const;

function diffFile(p: Obj, c: Obj): string | undefined {
  const pa = array(p.actions);
  const ca = array(c.actions);
  if (pa.length !== ca.length) return ca.length > pa.length ? 'file operation added' : 'file operation removed';
  for (let i = 0; i < ca.length; i++) {
    const reason = diffAction(obj(pa[i]), obj(ca[i]));
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function diffAction(p: Obj, c: Obj): string | undefined {
  const pk = ACTIONS.find((k) => p[k] !== undefined);
  const ck = ACTIONS.find((k) => c[k] !== undefined);
  if (pk !== ck) return 'file operation changed';
  const pv = obj(p[ck ?? '']);
  const cv = obj(c[ck ?? '']);
  const fields = FIELDS[ck ?? 'copy'];
  for (const [field, label] of fields) if (!same(pv[field], cv[field])) return label;
  const rest = (o: Obj) => Object.fromEntries(Object.entries(o).filter(([k]) => !fields.some(([f]) => f === k)));
  if (!same(rest(pv), rest(cv))) return `${ck ?? 'file'} options changed`;
  if (!same(p.input, c.input) || !same(p.secondaryInput, c.secondaryInput) || !same(p.output, c.output)) return 'file operation changed';
  return undefined;
}

const FIELDS: Record<(typeof ACTIONS)[number], readonly (readonly [string, string])[]> = {
  copy: [
    ['src', 'copy source changed'],
    ['dest', 'copy destination changed'],
    ['includePatterns', 'copy include patterns changed'],
    ['excludePatterns', 'copy --exclude changed'],
    ['owner', 'chown changed'],
    ['mode', 'chmod changed'],
    ['modeStr', 'chmod changed'],
    ['timestamp', 'timestamp changed'],
  ],
  mkfile: [
    ['path', 'file path changed'],
    ['data', 'file content changed'],
    ['mode', 'chmod changed'],
    ['owner', 'chown changed'],
    ['timestamp', 'timestamp changed'],
  ],
  mkdir: [
    ['path', 'directory path changed'],
    ['mode', 'chmod changed'],
    ['owner', 'chown changed'],
    ['makeParents', 'mkdir options changed'],
    ['timestamp', 'timestamp changed'],
  ],
  rm: [['path', 'removed path changed']],
  symlink: [
    ['newpath', 'symlink path changed'],
    ['oldpath', 'symlink target changed'],
    ['owner', 'chown changed'],
    ['timestamp', 'timestamp changed'],
  ],
};

// ---- JSON helpers ---------------------------------------------------------------------------

/** `a, b, c and 2 more`. */
export function list(items: readonly string[], shown = SHOWN): string {
  if (items.length <= shown) return items.join(', ');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

/** Deep equality where a missing field, null and the protobuf default are alike. */
export function same(a: JSONValue | undefined, b: JSONValue | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: JSONValue | undefined): string {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return '';
  if (Array.isArray(v)) return v.length === 0 ? '' : `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => canonical(v[k]) !== '')
      .sort();
    return keys.length === 0 ? '' : `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
