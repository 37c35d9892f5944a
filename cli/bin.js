#!/usr/bin/env node
// Launcher: refuses old Node clearly, turns on the compile cache (fast no-op rebuilds), then
// hands over to the prebuilt CLI in dist/ (scripts/bundle.ts) while it is current, else to the
// TypeScript entry point, which Node 24 runs by stripping types.
import module from 'node:module';
import { prebuiltEntry } from './prebuilt.js';
import { runOnServer } from './server/client.js';

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
const prebuilt = process.env.TSBUILD_SOURCES === '1' ? undefined : prebuiltEntry(new URL('../', import.meta.url));
// A build server for this state root (`tsbuild server`) running this same CLI build takes the
// command; otherwise it runs here.
const served = await runOnServer(process.argv.slice(2), prebuilt ?? 'sources');
let code = served;
if (code === undefined) {
  process.env.TSBUILD_CLI_ENTRY = prebuilt ?? 'sources';
  const { main } = await import(prebuilt ?? './main.ts');
  code = await main(process.argv.slice(2));
}
// The command's promise settles when its work is done (watch mode's when watching stops), so the
// process ends here, once what was printed has been handed to the OS: nothing that any part left
// running (an idle worker thread, a kept-alive socket, a timer in a build.ts) can hold it open.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

/** Resolves once everything written to `stream` so far has been passed on. */
function flushed(stream) {
  // Nothing queued: done. (A tar written to `-o -` ends stdout; one more write would fail.)
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
