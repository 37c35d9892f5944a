// Why each step that ran did not come from the cache, by comparing this build's record with the
// previous build's record of the same target. The checks go from the most to the least specific,
// and the first that applies is the reason:
//
//   1. the whole build ran fresh (`--no-cache`), there is nothing to compare with, or the step
//      opts out of caching;
//   2. the step has no counterpart in the previous build (matched by digest, then by name, then
//      by name without its step counter, then by slot): `new step`;
//   3. its own definition changed (op-diff.ts): `command changed`, `ENV FOO changed`, …;
//   4. a local source (read on every build): its directory, or which of its files changed;
//   5. an input changed: for a local context, the changed files this step reads
//      (`src/index.ts changed`); otherwise `input "<name>" changed` (its own line says why);
//   6. the previous build stopped before this step finished;
//   7. its key is the one recorded last time, so its cached result must have been removed.
//
// A reason never repeats the step's name: callers print `<name>: <reason>`.
import type { Digest } from '../../llb/index.ts';
import { diffOps, list } from './op-diff.ts';
import { isRead, readsOf } from './reads.ts';
import { nameWithoutCounter, type BuildRecord, type LocalRecord, type VertexRecord } from './record.ts';

export interface ExplainOptions {
  /** This build ran with `--no-cache`. Default: what the current record says. */
  readonly noCache?: boolean | undefined;
}

/** One reason per vertex that ran in `current` (also those whose run failed). */
export function explain(previous: BuildRecord | undefined, current: BuildRecord, options: ExplainOptions = {}): Map<Digest, string> {
  const out = new Map<Digest, string>();
  const ran = current.vertices.filter((v) => v.status === 'ran' || v.status === 'failed');
  if (ran.length === 0) return out;
  const noCache = options.noCache ?? current.noCache;
  const matches = previous ? matchVertices(previous.vertices, current.vertices) : new Map<Digest, VertexRecord>();
  const byDigest = new Map(current.vertices.map((v) => [v.digest, v] as const));
  for (const v of ran) {
    out.set(v.digest, noCache ? '--no-cache' : previous === undefined ? 'no previous build' : reasonFor(v, matches, byDigest));
  }
  return out;
}

function reasonFor(v: VertexRecord, matches: ReadonlyMap<Digest, VertexRecord>, current: ReadonlyMap<Digest, VertexRecord>): string {
  if (v.ignoreCache) return 'caching is disabled for this step';
  const p = matches.get(v.digest);
  if (!p) return 'new step';

  const own = diffOps(withoutInputs(p.op), withoutInputs(v.op));
  if (own !== undefined) return own;

  if (v.local && p.local && v.local.dir !== p.local.dir) return `directory changed: ${p.local.dir ?? '(none)'} → ${v.local.dir ?? '(none)'}`;
  if (v.local)
    return filesReason(changedFiles(p.local, v.local, 'all')) ?? (v.local.dir === undefined ? 'read on every build' : 'read on every build; no file changed');

  if (p.inputs.length !== v.inputs.length) return v.inputs.length > p.inputs.length ? 'input added' : 'input removed';
  for (let i = 0; i < v.inputs.length; i++) {
    const ci = v.inputs[i]!;
    const pi = p.inputs[i]!;
    const cv = current.get(ci.digest);
    const matched = matches.get(ci.digest);
    if (!cv || !matched || matched.digest !== pi.digest || ci.index !== pi.index) return `input "${ci.name}" changed`;
    if (cv.local) {
      const files = filesReason(changedFiles(matched.local, cv.local, readsOf(v.op, i)));
      if (files !== undefined) return cv.local.name === 'context' ? files : `${files} in "${cv.local.name}"`;
      continue;
    }
    if (inputChanged(ci, pi, cv, matched)) return `input "${ci.name}" changed`;
  }

  if (p.status !== 'cached' && p.status !== 'ran') return p.status === 'failed' ? 'it failed in the previous build' : 'the previous build stopped before it';
  if (sameKeys(p.definitionKeys, v.definitionKeys) || (v.contentKeys && p.contentKeys && sameKeys(p.contentKeys, v.contentKeys))) {
    return 'cached result was removed';
  }
  return 'cache key changed';
}

/** The input vertex made other data than last time. */
function inputChanged(ci: VertexRecord['inputs'][number], pi: VertexRecord['inputs'][number], cv: VertexRecord, pv: VertexRecord): boolean {
  if (cv.status === 'ran') return true;
  if (ci.content !== undefined && pi.content !== undefined) return ci.content !== pi.content;
  const cid = cv.resultIds?.[String(ci.index)];
  const pid = pv.resultIds?.[String(pi.index)];
  if (cid !== undefined && pid !== undefined) return cid !== pid;
  return ci.key !== pi.key;
}

// ---- files ----------------------------------------------------------------------------------

interface FileChange {
  readonly path: string;
  readonly change: 'changed' | 'added' | 'removed';
}

/** Manifest entries that differ, narrowed to what the step reads; files before directories. */
function changedFiles(previous: LocalRecord | undefined, current: LocalRecord, reads: ReturnType<typeof readsOf>): FileChange[] {
  if (!previous) return [];
  const pm = previous.manifest;
  const cm = current.manifest;
  const out: FileChange[] = [];
  for (const [path, d] of Object.entries(cm)) {
    const old = pm[path];
    if (old === d) continue;
    if (isRead(reads, path)) out.push({ path, change: old === undefined ? 'added' : 'changed' });
  }
  for (const path of Object.keys(pm)) if (cm[path] === undefined && isRead(reads, path)) out.push({ path, change: 'removed' });
  const files = out.filter((c) => !c.path.endsWith('/'));
  const chosen = files.length > 0 ? files : out;
  return chosen.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function filesReason(changes: readonly FileChange[]): string | undefined {
  if (changes.length === 0) return undefined;
  return list(changes.map((c) => `${c.path} ${c.change}`));
}

// ---- matching -------------------------------------------------------------------------------

/**
 * Pairs each current vertex with the previous build's vertex in the same place, in passes from
 * the strictest to the loosest key; within a pass equal keys pair up in order, and a vertex once
 * paired is out of later passes.
 */
export function matchVertices(previous: readonly VertexRecord[], current: readonly VertexRecord[]): Map<Digest, VertexRecord> {
  const out = new Map<Digest, VertexRecord>();
  const taken = new Set<Digest>();
  const passes: ((v: VertexRecord) => string)[] = [
    (v) => v.digest,
    (v) => `name:${v.name}`,
    (v) => `bare:${nameWithoutCounter(v.name)}`,
    (v) => `slot:${v.slot}`,
  ];
  for (const key of passes) {
    const pool = new Map<string, VertexRecord[]>();
    for (const p of previous) {
      if (taken.has(p.digest)) continue;
      const k = key(p);
      const list = pool.get(k);
      if (list) list.push(p);
      else pool.set(k, [p]);
    }
    for (const c of current) {
      if (out.has(c.digest)) continue;
      const p = pool.get(key(c))?.shift();
      if (!p) continue;
      out.set(c.digest, p);
      taken.add(p.digest);
    }
  }
  return out;
}

function withoutInputs(op: VertexRecord['op']): VertexRecord['op'] {
  if (op === null || typeof op !== 'object' || Array.isArray(op)) return op;
  const { inputs: _inputs, ...rest } = op;
  return rest;
}

function sameKeys(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length > 0 && ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
