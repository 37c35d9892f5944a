// Builds this folder's Dockerfile from a Node program with tsbuild's programmatic API, prints
// each step as it finishes, and writes the image as an OCI archive.
//
//   npm install tsbuild        (Node.js 24 or newer; `RUN` steps need root and runc)
//   node main.ts [OUT.tar]
import { fileURLToPath } from 'node:url';
import { build, BuildError } from 'tsbuild/client';

const dest = process.argv[2] ?? 'greeting.tar';
const run = build({
  file: fileURLToPath(new URL('./Dockerfile', import.meta.url)),
  outputs: [`type=oci,dest=${dest}`],
  tags: ['greeting:latest'],
});

// The same events `tsbuild build --progress=rawjson` prints, as objects.
for await (const event of run.events) {
  if (event.type === 'vertex' && event.completed !== undefined) console.log(`${event.cached ? 'CACHED ' : 'DONE   '}${event.name}`);
  if (event.type === 'frontend-warning') console.log(`WARNING ${event.message}`);
}

try {
  const out = await run;
  console.log(`image ${out.imageDigest} written to ${dest}`);
} catch (err) {
  if (!(err instanceof BuildError)) throw err;
  console.error(`${err.step ?? 'build'} failed${err.exitCode !== undefined ? ` (exit code ${err.exitCode})` : ''}: ${err.message}`);
  process.exitCode = 1;
}
