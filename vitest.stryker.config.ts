import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';
import groups from './mutation-groups.json' with { type: 'json' };

/**
 * The suite StrykerJS runs against each mutant (npm run test:mutation): the `sqlite` project
 * alone, narrowed to the test files of the group named by MUTATION_GROUP (mutation-groups.json).
 * The mutated modules hold rules, not SQL dialect, so the PostgreSQL project would only double
 * the time, and its global setup (an embedded server) does not belong in a run that reloads the
 * suite for every static mutant. Tests that start server processes are left out (Stryker's
 * runner uses one thread, and a child process does not load the mutated code).
 */
const { projects: _bothEngines, ...shared } = base.test ?? {};
const name = process.env.MUTATION_GROUP;
const group = name === undefined ? undefined : (groups as Record<string, { tests: string[] } | undefined>)[name];

export default defineConfig({
  ...base,
  test: {
    ...shared,
    include: group?.tests ?? ['test/**/*.test.ts'],
    exclude: [
      'test/pg/**',
      'test/audit/audit-process.test.ts',
      'test/platform/process.test.ts',
      'test/reliability/crash.test.ts',
      'test/reliability/secrets-startup.test.ts',
    ],
  },
});
