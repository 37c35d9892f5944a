// Chooses a frontend and calls its hooks. Every failure that comes out of a hook is wrapped with
// the frontend's and the hook's names, so a user can tell tsbuild's errors from a plugin's.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { Frontend, FrontendContext, FrontendInput, FrontendResult } from './types.ts';

export class FrontendError extends Error {
  override name = 'FrontendError';
  readonly frontend: string;
  readonly hook: string;
  /** Files the build description had read before it failed (absolute paths), as the hook said. */
  readonly dependencies: readonly string[];
  constructor(frontend: string, hook: string, cause: unknown, dependencies: readonly string[] = dependenciesOf(cause)) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    // Built-in frontends speak for themselves (their messages already name file and line);
    // plugins are named so the user knows whose message it is.
    super(frontend === 'dockerfile' || frontend === 'typescript' ? inner : `frontend "${frontend}" (${hook}): ${inner}`, { cause });
    this.frontend = frontend;
    this.hook = hook;
    this.dependencies = dependencies;
  }

  /** The same failure, also naming `files` (what the core read for the frontend). */
  withDependencies(files: readonly string[]): FrontendError {
    const merged = new FrontendError(this.frontend, this.hook, this.cause, [...new Set([...files, ...this.dependencies])]);
    if (this.stack) merged.stack = this.stack;
    return merged;
  }
}

/** The `dependencies` a failing hook's error carries, when it carries a list of paths. */
function dependenciesOf(err: unknown): readonly string[] {
  const deps = typeof err === 'object' && err !== null ? (err as { dependencies?: unknown }).dependencies : undefined;
  return Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [];
}

export class FrontendLoadError extends Error {
  override name = 'FrontendLoadError';
}

/** Runs `build` and wraps its failure; the only way the core calls a frontend. */
export async function callBuild(frontend: Frontend, ctx: FrontendContext, input: FrontendInput): Promise<FrontendResult> {
  try {
    return await frontend.build(ctx, input);
  } catch (err) {
    if (err instanceof FrontendError) throw err;
    throw new FrontendError(frontend.name, 'build', err);
  }
}

/** First frontend whose `detect` accepts the input, like a first-wins plugin hook. */
export function detectFrontend(frontends: readonly Frontend[], input: Pick<FrontendInput, 'filename' | 'source'>): Frontend | undefined {
  for (const frontend of frontends) {
    if (!frontend.detect) continue;
    let accepted: boolean;
    try {
      accepted = frontend.detect(input);
    } catch (err) {
      throw new FrontendError(frontend.name, 'detect', err);
    }
    if (accepted) return frontend;
  }
  return undefined;
}

function isFrontend(value: unknown): value is Frontend {
  return typeof value === 'object' && value !== null && typeof (value as Frontend).name === 'string' && typeof (value as Frontend).build === 'function';
}

/**
 * Loads a third-party frontend: a path (`./my-frontend.ts`, relative to `baseDir`) or a package
 * name resolved from `baseDir`. The module's default export, or its export named `frontend`,
 * must be a `{ name, build }` object.
 */
export async function loadFrontend(spec: string, baseDir: string): Promise<Frontend> {
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || /\.(m?[jt]s)$/.test(spec);
  let url: string;
  try {
    url = looksLikePath ? pathToFileURL(resolve(baseDir, spec)).href : pathToFileURL(createRequire(resolve(baseDir, 'noop.js')).resolve(spec)).href;
  } catch {
    throw new FrontendLoadError(`cannot find frontend "${spec}" from ${baseDir}: give a path to a module or an installed package name`);
  }
  // A plugin imports `tsbuild` as build programs do, and gets the running tsbuild's llb the same way.
  const { registerModuleHooks } = await import('./typescript/index.ts');
  registerModuleHooks();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new FrontendLoadError(`cannot load frontend "${spec}": ${err instanceof Error ? err.message : String(err)}`);
  }
  const candidate = mod.default ?? mod.frontend;
  if (!isFrontend(candidate)) {
    throw new FrontendLoadError(`frontend "${spec}" must export (default, or as "frontend") an object with a string "name" and a "build(ctx, input)" function`);
  }
  return candidate;
}
