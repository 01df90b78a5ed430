import type { RunnerTestCase } from 'vitest';
import { defineConfig } from 'vitest/config';
import type { Reporter, Vitest } from 'vitest/node';
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

/**
 * Stryker's vitest runner (9.6.1, and 10.0) judges a mutant by the tests it collected, and a test
 * file that fails to load collects none: a static mutant that makes a module throw on import
 * (a constant the module parses at load) was scored as surviving although every test of the
 * file fails. This reporter gives such a file one failed test carrying its load error, so the
 * mutant counts as killed. Files that loaded are left as they are.
 */
function unloadableFileAsFailedTest(): Reporter {
  let vitest: Vitest | undefined;
  return {
    onInit(ctx) {
      vitest = ctx;
    },
    onTestRunEnd() {
      for (const file of vitest?.state.getFiles() ?? []) {
        if (file.result?.state !== 'fail' || file.tasks.length > 0) continue;
        // Only the fields Stryker reads: a finished test has no context left to build.
        const loads = { type: 'test', id: `${file.id}_load`, name: 'loads', fullName: `${file.name} loads`, mode: 'run', file, suite: file, result: { state: 'fail', errors: file.result.errors } };
        file.tasks.push(loads as unknown as RunnerTestCase);
      }
    },
  };
}

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
    reporters: ['default', unloadableFileAsFailedTest()],
  },
});
