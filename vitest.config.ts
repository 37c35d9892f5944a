import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In a checkout `tsbuild` is the sources' llb (the package's export names the compiled lib/,
  // which only `npm pack` writes): build programs that tests load in-process import it.
  resolve: { alias: [{ find: /^tsbuild$/, replacement: fileURLToPath(new URL('./llb/index.ts', import.meta.url)) }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests that need root, runc, overlayfs or the registry share machine state (mounts,
    // ports, the busybox fixture); files run in parallel, tests inside a file in order.
    pool: 'forks',
  },
});
