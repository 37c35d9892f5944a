// Module resolution for build programs. Registered once per process with node:module's
// synchronous hooks; it does three things for imports made while a program loads:
//   1. `import … from 'tsbuild'` resolves to the running tsbuild's llb when the program's folder
//      has no tsbuild package of its own (a build.ts anywhere on disk just works), or when the
//      one it finds is the running tsbuild itself;
//   2. every local module the program pulls in is recorded, and one it names that does not exist
//      (watch mode rebuilds when one changes or appears);
//   3. local modules get the load's generation in their URL, so a reload sees edited files
//      instead of Node's module cache. Packages (node_modules) and tsbuild itself are shared.
import module from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Where this module runs from: the sources (frontends/typescript/module-hooks.ts), the npm
// package's compiled tree (lib/frontends/typescript/module-hooks.js), or a chunk of the prebuilt
// CLI (dist/<build>/, also two levels down). Its llb entry is the one a build program gets, so
// States are made by the same modules the running CLI marshals with (the prebuilt CLI's llb
// entry shares its chunks).
const layout = import.meta.url.endsWith('.ts') ? 'sources' : import.meta.url.endsWith('/frontends/typescript/module-hooks.js') ? 'compiled' : 'prebuilt';
const LLB_INDEX = new URL({ sources: '../../llb/index.ts', compiled: '../../llb/index.js', prebuilt: './llb.js' }[layout], import.meta.url).href;
const TSBUILD_ROOT = new URL(layout === 'compiled' ? '../../../' : '../../', import.meta.url).href;
const GENERATION_PARAM = 'tsbuild-load';

interface Load {
  readonly generation: number;
  readonly files: Set<string>;
}

const loads = new Map<number, Load>();
let registered = false;
let nextGeneration = 1;

function generationOf(url: string | undefined): number | undefined {
  if (!url?.startsWith('file:')) return undefined;
  const g = new URL(url).searchParams.get(GENERATION_PARAM);
  return g === null ? undefined : Number(g);
}

function isLocalSource(url: string): boolean {
  return url.startsWith('file:') && !url.includes('/node_modules/') && !['llb/', 'lib/', 'dist/'].some((dir) => url.startsWith(TSBUILD_ROOT + dir));
}

/** The file a relative or absolute specifier names, or undefined for a package. */
function localPathOf(specifier: string, parentURL: string): string | undefined {
  if (!/^(\.{1,2}\/|\/|file:)/.test(specifier)) return undefined;
  const url = new URL(specifier, parentURL);
  return isLocalSource(url.href) ? fileURLToPath(url.href.replace(/[?#].*$/, '')) : undefined;
}

/**
 * Installs the resolution above for this process (once). Build programs get it on their first
 * load; a frontend plugin's module needs it before it is imported, for its `import 'tsbuild'`.
 */
export function registerModuleHooks(): void {
  if (registered) return;
  registered = true;
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const generation = generationOf(context.parentURL);
      const load = generation === undefined ? undefined : loads.get(generation);
      let result: module.ResolveFnOutput;
      try {
        result = nextResolve(specifier, context);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
          if (specifier === 'tsbuild') return { url: LLB_INDEX, format: 'module', shortCircuit: true };
          // A local module that is not there yet: writing it is what fixes the program.
          const missing = load && context.parentURL ? localPathOf(specifier, context.parentURL) : undefined;
          if (missing) load!.files.add(missing);
        }
        throw err;
      }
      // `tsbuild` found as this very package (a program inside the checkout, or in a project
      // whose node_modules holds the tsbuild that runs) is the running tsbuild's own llb.
      if (specifier === 'tsbuild' && result.url.startsWith(TSBUILD_ROOT)) return { url: LLB_INDEX, format: 'module', shortCircuit: true };
      if (!load || !isLocalSource(result.url)) return result;
      const url = new URL(result.url);
      url.searchParams.set(GENERATION_PARAM, String(generation));
      load.files.add(fileURLToPath(url.href.replace(/\?.*$/, '')));
      return { ...result, url: url.href };
    },
  });
}

export type ImportedProgram =
  | { readonly ok: true; readonly exports: Record<string, unknown>; readonly files: readonly string[]; readonly url: string }
  | { readonly ok: false; readonly error: unknown; readonly files: readonly string[] };

/**
 * Imports the program at `path` as a fresh load (edited files are re-read). Returns its
 * namespace and every local file it imported, the program included. A load that fails still
 * names the files it had pulled in: a module that does not parse or throws is among them, and
 * an edit to it is what fixes the program.
 */
export async function importProgram(path: string): Promise<ImportedProgram> {
  registerModuleHooks();
  const generation = nextGeneration++;
  const load: Load = { generation, files: new Set([path]) };
  loads.set(generation, load);
  const url = pathToFileURL(path);
  url.searchParams.set(GENERATION_PARAM, String(generation));
  try {
    const exports = (await import(url.href)) as Record<string, unknown>;
    return { ok: true, exports, files: [...load.files], url: url.href };
  } catch (error) {
    return { ok: false, error, files: [...load.files] };
  } finally {
    loads.delete(generation);
  }
}

/** Removes the load marker from a module URL and returns a path (for messages). */
export function cleanModuleURL(url: string): string {
  if (!url.startsWith('file:')) return url.replace(/\?.*$/, '');
  return fileURLToPath(url.replace(/\?.*$/, ''));
}
