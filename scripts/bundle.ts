// Builds the CLI as prebuilt JavaScript in a new directory under dist/: one entry module plus
// chunks that load on first use (Ink, the registry client, exporters, the runner), with the npm
// dependencies inside. Starting from it skips what dominates a cached rebuild: resolving,
// reading and type-stripping about 240 source modules. `cli/bin.js` uses it only while every
// file it was built from still has the size and modification time recorded in its inputs.json
// (cli/prebuilt.js), so an edited checkout runs its sources.
//
// Each build has a directory of its own and `dist/current.json` is switched to it by a rename:
// a tsbuild already running from the previous build keeps loading its chunks from a directory
// that is still there (the newest few are kept), and two builds at once do not collide.
//
//   node scripts/bundle.ts [--if-stale]     (scripts/setup.sh runs it with --if-stale)
import { build, type Plugin } from 'esbuild';
import { statSync } from 'node:fs';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prebuiltEntry } from '../cli/prebuilt.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--if-stale') && prebuiltEntry(pathToFileURL(root + '/')) !== undefined) process.exit(0);
const KEEP = 3;
const dist = join(root, 'dist');
const name = `cli-${Date.now().toString(36)}-${process.pid}`;
const outdir = join(dist, name);
// A source edited while esbuild reads it would be recorded with its new time: such a build is not used.
const started = Date.now();

// A CommonJS package loaded with `await import()` becomes a chunk with only a default export
// when bundled, where Node gives named exports too. These lazily loaded ones get an ES module
// face with their names, so the same source works both ways.
const lazyCommonJS: Record<string, readonly string[]> = { 'tar-stream': ['pack', 'extract'] };
const namedExports: Plugin = {
  name: 'lazy-commonjs-named-exports',
  setup(b) {
    b.onResolve({ filter: /^[\w@/-]+$/, namespace: 'file' }, (args) =>
      args.path in lazyCommonJS && args.kind === 'dynamic-import' ? { path: args.path, namespace: 'lazy-cjs' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-cjs' }, (args) => ({
      resolveDir: root,
      contents: `import m from '${args.path}';\nexport const { ${lazyCommonJS[args.path]!.join(', ')} } = m;\nexport default m;\n`,
    }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'cli/main.ts',
    // What the launcher loads first: it hands the command to a build server when one runs.
    client: 'cli/server/client.ts',
    // A build.ts's `import 'tsbuild'` gets this one, sharing chunks (and State values) with the CLI.
    llb: 'llb/index.ts',
    'hash-worker': 'executor/contenthash/hash-worker.ts',
    'layer-worker': 'executor/layer-worker.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [namedExports],
  // Ink loads React's devtools only when asked (DEV=true); it is not installed.
  external: ['react-devtools-core'],
  // Bundled CommonJS dependencies still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __tsbuildRequire } from 'node:module'; const require = __tsbuildRequire(import.meta.url);" },
});

// Our own sources, and the lock npm writes into node_modules on every install: a new dependency
// version changes it. (Virtual modules of the plugin above are named `namespace:path`.)
const files = Object.keys(result.metafile.inputs)
  .filter((p) => !p.includes('node_modules/') && !p.startsWith('lazy-cjs:'))
  .map((p) => relative(root, join(root, p)));
files.push('node_modules/.package-lock.json');
const inputs = files.sort().map((f) => {
  const st = statSync(join(root, f));
  return [f, st.size, st.mtimeMs] as const;
});
if (inputs.some(([, , mtimeMs]) => mtimeMs >= started)) {
  await rm(outdir, { recursive: true, force: true });
  console.error('bundle: sources changed while they were bundled; run again');
  process.exit(1);
}
await writeFile(join(outdir, 'inputs.json'), JSON.stringify({ inputs }) + '\n');
const pointer = join(dist, `current.json.${process.pid}`);
await writeFile(pointer, JSON.stringify({ build: name }) + '\n');
await rename(pointer, join(dist, 'current.json'));
// Older builds beyond the newest few go (a tsbuild started long ago may still run from one).
const builds = (await readdir(dist)).filter((n) => /^cli-[0-9a-z]+-\d+$/.test(n)).sort((a, b) => buildTime(b) - buildTime(a));
for (const old of builds.slice(KEEP)) await rm(join(dist, old), { recursive: true, force: true });
// Left by earlier versions of this script.
await rm(join(dist, 'cli'), { recursive: true, force: true });

function buildTime(dir: string): number {
  return parseInt(dir.split('-')[1]!, 36);
}
