// Builds what the npm package ships in lib/: the sources compiled by tsc (tsconfig.package.json)
// to ES modules, each with its declaration file and a source map that carries the TypeScript it
// came from. A checkout never runs lib/: `cli/bin.js` starts the sources (or the prebuilt CLI in
// dist/) whenever they are there. `npm pack` and `npm publish` run this first (prepack).
//
//   node scripts/build-package.ts
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'lib');
rmSync(lib, { recursive: true, force: true });
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.package.json')], { stdio: 'inherit' });
// tsc copies the package.json that cli/version.ts imports (through the `#package.json` import)
// into lib/; the package's own one, at the root, is the one that import resolves to.
rmSync(join(lib, 'package.json'));
// The native module ships prebuilt for this platform; where it does not load, tsbuild spawns tools.
execFileSync(process.execPath, [join(root, 'scripts', 'build-native.ts'), '--out', join(lib, 'oci', 'sys', 'build', 'tsbuild-sys.node')], { stdio: 'inherit' });
