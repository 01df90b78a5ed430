import { defineConfig } from 'vitest/config';

/** Browser tests: headless Chromium against the real app on 127.0.0.1 (`npm run test:e2e`). */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    environment: 'node',
    pool: 'forks',
    // One Chromium at a time: steadier on small CI machines, and the suite is short.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
