// `local://<name>` sources: a build context directory named in the executor's configuration,
// read in place (never copied into the cache). Its cache digest is unique per build, like
// BuildKit's session-local sources: the source itself never hits, so every consumer misses on
// its definition key and matches on the content digest of exactly the paths it reads.
import { join, resolve } from 'node:path';
import type { CacheMap, Op, OpContext, Result } from '../../solver/index.ts';
import { PathFilter } from '../patterns/index.ts';
import type { OpsContext } from './context.ts';
import { opDigest, sha256Hex } from './cache-digest.ts';
import { SourceError } from './errors.ts';
import { syncLinkFarm } from './local-farm.ts';
import { ownPathPatterns } from './own-paths.ts';

export const LOCAL_SOURCE_KEY = 'tsbuild.source.local.v1';

function patterns(attrs: Record<string, string>, key: string, name: string): string[] {
  const raw = attrs[key];
  if (raw === undefined || raw === '') return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // reported below
  }
  throw new SourceError(`local source "${name}": attribute ${key} must be a JSON list of strings`);
}

export class LocalSourceOp implements Op {
  readonly #ctx: OpsContext;
  readonly #name: string;
  readonly #include: string[];
  readonly #exclude: string[];

  constructor(ctx: OpsContext, identifier: string, attrs: Record<string, string>) {
    this.#ctx = ctx;
    this.#name = identifier.slice('local://'.length);
    this.#include = patterns(attrs, attrs['local.includepatterns'] !== undefined ? 'local.includepatterns' : 'local.includepattern', this.#name);
    this.#exclude = patterns(attrs, 'local.excludepatterns', this.#name);
  }

  async cacheMap(): Promise<CacheMap> {
    return {
      digest: opDigest(LOCAL_SOURCE_KEY, { name: this.#name, build: this.#ctx.nonce, include: this.#include, exclude: this.#exclude }),
      deps: [],
      perBuild: true,
    };
  }

  async exec(_ctx: OpContext): Promise<Result[]> {
    const dir = this.#ctx.locals[this.#name];
    if (dir === undefined) {
      const known = Object.keys(this.#ctx.locals);
      throw new SourceError(
        `no local directory named "${this.#name}" was given to the build${known.length ? ` (known: ${known.join(', ')})` : ''}: pass it as a build context`,
      );
    }
    // Last, so that no `!` re-include of the user's can bring them back.
    const exclude = [...this.#exclude, ...ownPathPatterns(dir, this.#ctx.ownPaths)];
    if (this.#include.length === 0 && exclude.length === 0) return [this.#ctx.refs.local(this.#name, dir)];
    const farm = join(this.#ctx.root, 'locals', sha256Hex(JSON.stringify([dir, this.#include, exclude])).slice(0, 32));
    await syncLinkFarm(dir, farm, new PathFilter({ include: this.#include, exclude }), '', new Set([resolve(this.#ctx.root), resolve(farm)]));
    return [this.#ctx.refs.local(this.#name, farm)];
  }
}
