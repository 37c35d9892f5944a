#!/usr/bin/env node
// Launcher: refuses old Node clearly, turns on the compile cache (fast no-op rebuilds), hands the
// command to a build server for this state root when one runs the same CLI (`tsbuild server`),
// and otherwise runs the CLI here. In a checkout that is the prebuilt CLI in dist/
// (scripts/bundle.ts) while it is current, else the TypeScript entry point, which Node 24 runs by
// stripping types; in the npm package (no sources) it is the compiled lib/cli/main.js.
//
// Plain JavaScript that any Node with ES modules parses (no top-level await, nothing imported
// before the version check), so an old Node prints the sentence below, not a loader error.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `tsbuild needs Node.js 24 or newer (this is ${process.version}): install a current Node.js` + ' (in a checkout, scripts/setup.sh puts one in .tools/)\n',
  );
  process.exit(1);
}
start().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);

/**
 * Where the CLI's entry and the server client are, and the identity a build server compares:
 * the prebuilt build's path, the compiled entry's path and time, or "sources".
 */
async function locate() {
  const { existsSync, statSync } = await import('node:fs');
  const sources = new URL('./main.ts', import.meta.url);
  if (!existsSync(sources)) {
    const main = new URL('../lib/cli/main.js', import.meta.url);
    return { main: main.href, client: new URL('../lib/cli/server/client.js', import.meta.url).href, identity: `${main.pathname}@${statSync(main).mtimeMs}` };
  }
  const { prebuiltEntry } = await import('./prebuilt.js');
  const prebuilt = process.env.TSBUILD_SOURCES === '1' ? undefined : prebuiltEntry(new URL('../', import.meta.url));
  if (prebuilt) return { main: prebuilt, client: prebuilt.replace(/main\.js$/, 'client.js'), identity: prebuilt };
  return { main: sources.href, client: new URL('./server/client.ts', import.meta.url).href, identity: 'sources' };
}

async function start() {
  const { default: module } = await import('node:module');
  module.enableCompileCache?.();
  // A reader that goes away (`tsbuild build -o - | head`) ends the run quietly, as SIGPIPE ends
  // other tools, instead of crashing with an unhandled EPIPE and a stack.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
  const argv = process.argv.slice(2);
  const { main: entry, client, identity } = await locate();
  const { runOnServer } = await import(client);
  let code = await runOnServer(argv, identity);
  if (code === undefined) {
    process.env.TSBUILD_CLI_ENTRY = identity;
    const { main } = await import(entry);
    code = await main(argv);
  }
  // The command's promise settles when its work is done (watch mode's when watching stops), so the
  // process ends here, once what was printed has been handed to the OS: nothing that any part left
  // running (an idle worker thread, a kept-alive socket, a timer in a build.ts) can hold it open.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  return code;
}

/** Resolves once everything written to `stream` so far has been passed on. */
function flushed(stream) {
  // Nothing queued: done. (A tar written to `-o -` ends stdout; one more write would fail.)
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
