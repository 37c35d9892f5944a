// Loading a build program: import it, pick the target export, call it if it is a function, and
// check that what comes back is a State or `{ state, image }`.
//
//   export default image('busybox').run('echo hi').root();                 // a State
//   export default { state, image: { cmd: ['/app'] } };                    // state + image config
//   export default async ({ buildArgs, platform, local }) => ({ state });   // computed
//   export const test = …;                                                 // --target test
import { isAbsolute, resolve } from 'node:path';
import { isState, local, type BuildContext, type ImageSpec, type Platform, type State } from '../../llb/index.ts';
import { BuildProgramError, locateInStack, messageOf, type SourceLocation } from './errors.ts';
import { importProgram } from './module-hooks.ts';

export interface ResolvedTarget {
  readonly state: State;
  readonly image?: ImageSpec;
}

export interface LoadedProgram extends ResolvedTarget {
  /** The program and every local module it imported (absolute paths). */
  readonly dependencies: readonly string[];
  /** Names of the exports that can be targets. */
  readonly targets: readonly string[];
}

export interface LoadOptions {
  readonly target?: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly platform: Platform;
  /** The machine's platform (default: the target's). */
  readonly buildPlatform?: Platform;
}

function asTarget(v: unknown): ResolvedTarget | undefined {
  if (isState(v)) return { state: v };
  if (typeof v === 'object' && v !== null && 'state' in v && isState(v.state)) {
    const t = v as { state: State; image?: ImageSpec };
    return t.image === undefined ? { state: t.state } : { state: t.state, image: t.image };
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object with keys ${Object.keys(v).join(', ') || '(none)'}`;
  return `a ${typeof v}`;
}

export async function loadBuildProgram(filename: string, opts: LoadOptions): Promise<LoadedProgram> {
  const path = isAbsolute(filename) ? filename : resolve(filename);
  const loaded = await importProgram(path);
  const files = new Set(loaded.files);
  // Every failure names the files loaded so far: an edit to any of them may fix the program.
  const failure = (message: string, location: SourceLocation, cause?: unknown) =>
    new BuildProgramError(message, location, { dependencies: [...files], ...(cause === undefined ? {} : { cause }) });
  const fail = (err: unknown): never => {
    throw failure(messageOf(err), locateInStack(err, files) ?? { file: path, line: 1 }, err);
  };
  if (!loaded.ok) return fail(loaded.error);
  const exports = loaded.exports;

  const targets = Object.keys(exports).filter((k) => k !== 'default');
  const name = opts.target ?? 'default';
  if (!(name in exports)) {
    const available = [...('default' in exports ? ['default'] : []), ...targets];
    throw failure(
      opts.target
        ? `no target "${opts.target}": the program exports ${available.join(', ') || 'nothing'}`
        : `no default export: export a State, { state, image }, or a function returning one (or pick a target: ${targets.join(', ') || 'none exported'})`,
      { file: path, line: 1 },
    );
  }

  let value = exports[name];
  if (typeof value === 'function') {
    const ctx: BuildContext = {
      buildArgs: Object.freeze({ ...opts.buildArgs }),
      platform: opts.platform,
      buildPlatform: opts.buildPlatform ?? opts.platform,
      target: opts.target,
      local: (n, o) => local(n, o),
    };
    try {
      value = await (value as (c: BuildContext) => unknown)(ctx);
    } catch (err) {
      return fail(err);
    }
  }
  const target = asTarget(value);
  if (!target) {
    throw failure(`export "${name}" is ${describe(value)}; expected a State, { state, image }, or a function returning one`, { file: path, line: 1 });
  }
  return { ...target, dependencies: [...files], targets };
}
