// Where a build on a daemon goes: the daemon's exporter for `-t` and `-o`, what comes back to
// this machine (archives streamed into a file), the digests it answers with, and the build cache
// it writes and reads.
import { createWriteStream, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { CacheSpec } from '../../oci/index.ts';
import type { CacheEntry } from '../../remote/index.ts';
import { UserError } from '../errors.ts';
import type { BuildHooks } from './run-build.ts';
import type { BuildRequest } from './request.ts';

export interface Exporter {
  readonly type: string;
  readonly attrs: Record<string, string>;
  readonly names: readonly string[];
  readonly pushed: boolean;
  /** Where the daemon sends the export back to (local and archive exporters). */
  readonly exportTo?: { readonly kind: 'dir'; readonly dest: string } | { readonly kind: 'file'; readonly dest: string };
}

/** The daemon's exporter for the request's outputs; undefined when nothing is exported. */
export function exporterFor(req: BuildRequest, kind: 'docker' | 'buildkitd'): Exporter | undefined {
  if (req.outputs.length > 1) throw new UserError(`--builder: a BuildKit daemon takes one output per build, and ${req.outputs.length} were given`);
  const out = req.outputs[0];
  let names = [...req.tags];
  let push = false;
  if (out?.type === 'local') return { type: 'local', attrs: {}, names: [], pushed: false, exportTo: { kind: 'dir', dest: out.dest } };
  if (out?.type === 'tar') return { type: 'tar', attrs: {}, names: [], pushed: false, exportTo: { kind: 'file', dest: out.dest } };
  if (out?.type === 'oci' || out?.type === 'docker') {
    if (kind === 'docker' || !out.tar) {
      throw new UserError(`--builder: -o type=${out.type}${out.tar ? '' : ',tar=false'} is not supported by this builder; use -o type=tar, or build locally`);
    }
    return {
      type: out.type,
      attrs: out.names.length ? { name: out.names.join(',') } : {},
      names: [],
      pushed: false,
      exportTo: { kind: 'file', dest: out.dest },
    };
  }
  if (out?.type === 'image') {
    names = [...names, ...out.names];
    push = out.push;
  }
  if (names.length === 0) return undefined;
  if (kind === 'docker') {
    // docker's exporter cannot push: the daemon pushes the stored image afterwards (dockerPush).
    return { type: 'moby', attrs: { name: names.join(',') }, names, pushed: push };
  }
  return { type: 'image', attrs: { name: names.join(','), ...(push ? { push: 'true' } : {}) }, names, pushed: push };
}

/** A `--cache-to`/`--cache-from` for the daemon, in BuildKit's own terms (it writes and reads it). */
export function cacheEntry(spec: CacheSpec, direction: 'to' | 'from'): CacheEntry {
  if (spec.type === 'inline') return { type: 'inline', attrs: {} };
  if (spec.type === 'local') throw new Error('unreachable: refused above');
  const attrs: Record<string, string> = { ref: spec.ref.string };
  if (direction === 'to') {
    attrs['mode'] = spec.mode;
    if (spec.ignoreError) attrs['ignore-error'] = 'true';
  }
  return { type: 'registry', attrs };
}

/** The exporter's answer: the manifest and config digests of the image it wrote. */
export function exportedDigests(response: Readonly<Record<string, string>>, exporter: Exporter | undefined): { imageDigest?: string; configDigest?: string } {
  const digest = response['containerimage.digest'];
  // docker's exporter answers with the image ID, its config digest, as containerimage.digest.
  const config = response['containerimage.config.digest'] ?? (exporter?.type === 'moby' ? digest : undefined);
  const image = exporter?.type === 'moby' ? undefined : digest;
  return { ...(image ? { imageDigest: image } : {}), ...(config ? { configDigest: config } : {}) };
}

/** A file (or stdout for `-`) that an archive export streams into. */
export function exportSink(dest: string, hooks: BuildHooks): { out: Writable; close(): Promise<void>; abort(): void } {
  if (dest === '-') {
    const out = hooks.stdout ?? process.stdout;
    return { out, close: async () => {}, abort: () => {} };
  }
  let fd: number;
  try {
    fd = openSync(dest, 'w');
  } catch (e) {
    throw new UserError(`cannot write the export to ${dest}: ${(e as Error).message}`);
  }
  const out = createWriteStream(dest, { fd });
  out.on('error', () => {}); // reported by close()
  return {
    out,
    close: () => new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve()))),
    abort: () => out.destroy(),
  };
}
