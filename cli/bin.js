#!/usr/bin/env node
// Launcher: refuses old Node clearly, turns on the compile cache (fast no-op rebuilds), then
// hands over to the prebuilt CLI in dist/cli/ (scripts/bundle.ts) while it is current, else to the
// TypeScript entry point, which Node 24 runs by stripping types.
import module from 'node:module';
import { prebuiltIsCurrent } from './prebuilt.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`tsbuild needs Node.js 24 or newer (this is ${process.version}); run scripts/setup.sh\n`);
  process.exit(1);
}
module.enableCompileCache?.();
// A reader that goes away (`tsbuild build -o - | head`) ends the run quietly, as SIGPIPE ends
// other tools, instead of crashing with an unhandled EPIPE and a stack.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});
const prebuilt = process.env.TSBUILD_SOURCES !== '1' && prebuiltIsCurrent(new URL('../', import.meta.url));
const { main } = await import(prebuilt ? '../dist/cli/main.js' : './main.ts');
process.exitCode = await main(process.argv.slice(2));
