// Module resolution for build programs. Registered once per process with node:module's
// synchronous hooks; it does three things for imports made while a program loads:
//   1. `import … from 'tsbuild'` resolves to this checkout's llb/index.ts when the program's
//      folder has no tsbuild package of its own (a build.ts anywhere on disk just works);
//   2. every local module the program pulls in is recorded, and one it names that does not exist
//      (watch mode rebuilds when one changes or appears);
//   3. local modules get the load's generation in their URL, so a reload sees edited files
//      instead of Node's module cache. Packages (node_modules) and tsbuild itself are shared.
import module from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// From the sources, llb's index; from the prebuilt CLI (dist/<build>/, also two levels down), its
// llb entry, which shares chunks and so State values with the running CLI.
const LLB_INDEX = new URL(import.meta.url.endsWith('.ts') ? '../../llb/index.ts' : './llb.js', import.meta.url).href;
const TSBUILD_ROOT = new URL('../../', import.meta.url).href;
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
  return url.startsWith('file:') && !url.includes('/node_modules/') && !url.startsWith(TSBUILD_ROOT + 'llb/') && !url.startsWith(TSBUILD_ROOT + 'dist/');
}

/** The file a relative or absolute specifier names, or undefined for a package. */
function localPathOf(specifier: string, parentURL: string): string | undefined {
  if (!/^(\.{1,2}\/|\/|file:)/.test(specifier)) return undefined;
  const url = new URL(specifier, parentURL);
  return isLocalSource(url.href) ? fileURLToPath(url.href.replace(/[?#].*$/, '')) : undefined;
}

function register(): void {
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
  register();
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
