import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests that need root, runc, overlayfs or the registry share machine state (mounts,
    // ports, the busybox fixture); files run in parallel, tests inside a file in order.
    pool: 'forks',
  },
});
