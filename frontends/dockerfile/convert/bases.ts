// Before any stage is dispatched: the global ARGs (meta args) and each stage's base, an earlier
// stage, scratch, or an image, with the platform it is built for.
import type { Platform } from '../../../llb/index.ts';
import { DockerfileError } from '../errors.ts';
import { locate, type ParsedDockerfile, type Stage } from '../instructions/index.ts';
import { processWord, type EnvLookup, type WordResult } from '../shell/index.ts';
import { platformArgs } from './build-args.ts';
import type { ConvertOptions } from './options.ts';
import { normalizeRef, parsePlatformArg } from './platform.ts';
import { findStage } from './stages.ts';

export interface BaseInfo {
  /** Expanded base name. */
  readonly name: string;
  readonly platform: Platform;
  /** Index of the stage it builds on, or undefined for an image / scratch. */
  readonly stage?: number;
  readonly scratch: boolean;
}

export const mapLookup = (m: ReadonlyMap<string, string>): EnvLookup => ({ get: (k) => m.get(k) });

/** Global scope: predefined platform args, then ARGs before the first FROM (build args win). */
export function globalArgs(opts: ConvertOptions, parsed: ParsedDockerfile, targetStage: string, escapeToken: string): Map<string, string> {
  const metaArgs = platformArgs(opts.buildPlatform ?? opts.platform, opts.platform, targetStage);
  for (const cmd of parsed.metaArgs) {
    locate(opts.filename, cmd.node, () => {
      for (const a of cmd.args) {
        const override = opts.buildArgs[a.key];
        if (override !== undefined) metaArgs.set(a.key, override);
        else if (a.value !== undefined) metaArgs.set(a.key, processWord(a.value, mapLookup(metaArgs), { escapeToken }).result);
      }
    });
  }
  return metaArgs;
}

/** Each stage's base: FROM <earlier stage>, scratch, or an image (its reference checked here). */
export function stageBases(stages: readonly Stage[], expandMeta: (word: string) => WordResult, opts: ConvertOptions): BaseInfo[] {
  return stages.map((s, i) =>
    locate(opts.filename, s.node, () => {
      const expanded = expandMeta(s.baseName);
      const name = expanded.result;
      if (name.trim() === '') {
        const missing = [...expanded.unmatched];
        throw new DockerfileError(
          `base name (${s.baseName}) should not be blank` +
            (missing.length ? `: ${missing.join(', ')} has no value; pass --build-arg ${missing[0]}=<image> or give the ARG a default` : ''),
          { file: opts.filename, line: s.node.startLine, endLine: s.node.endLine },
        );
      }
      const platform = s.platform ? parsePlatformArg(expandMeta(s.platform).result) : opts.platform;
      const stage = findStage(stages, name, i);
      if (stage === undefined && name.toLowerCase() !== 'scratch') normalizeRef(name);
      return { name, platform, stage, scratch: stage === undefined && name.toLowerCase() === 'scratch' };
    }),
  );
}
