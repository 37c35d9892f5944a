// Builds the CLI as prebuilt JavaScript in dist/cli/: one entry module plus chunks that load on
// first use (Ink, the registry client, exporters, the runner), with the npm dependencies inside.
// Starting from it skips what dominates a cached rebuild: resolving, reading and type-stripping
// about 240 source modules. `cli/bin.js` uses it only while it is newer than every source file it
// was built from (listed in dist/cli/inputs.json), so an edited checkout runs its sources.
//
// The new build is written beside the old one and swapped in with renames, so a tsbuild that
// is running from dist/cli/ never sees it half written.
//
//   node scripts/bundle.ts [--if-stale]     (scripts/setup.sh runs it with --if-stale)
import { build, type Plugin } from 'esbuild';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prebuiltIsCurrent } from '../cli/prebuilt.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--if-stale') && prebuiltIsCurrent(pathToFileURL(root + '/'))) process.exit(0);
const final = join(root, 'dist/cli');
const outdir = `${final}.new-${process.pid}`;

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

// Sources edited while esbuild reads them must count as newer than the build.
const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    main: 'cli/main.ts',
    // A build.ts's `import 'tsbuild'` gets this one, sharing chunks (and State values) with the CLI.
    llb: 'llb/index.ts',
    'hash-worker': 'executor/contenthash/hash-worker.ts',
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

// Our own sources only: node_modules changes only through `npm ci`, after which setup rebuilds.
// (Virtual modules of the plugin above are named `namespace:path`; they have no file.)
const inputs = Object.keys(result.metafile.inputs)
  .filter((p) => !p.includes('node_modules/') && !p.startsWith('lazy-cjs:'))
  .map((p) => relative(root, join(root, p)))
  .sort();
await writeFile(join(outdir, 'inputs.json'), JSON.stringify({ built: started, inputs }) + '\n');
const old = `${final}.old-${process.pid}`;
await rename(final, old).catch((e: NodeJS.ErrnoException) => {
  if (e.code !== 'ENOENT') throw e;
});
await rename(outdir, final);
await rm(old, { recursive: true, force: true });
