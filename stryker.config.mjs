// @ts-check
import { readFileSync } from 'node:fs';

/**
 * StrykerJS over the modules where one character changes what the API does, in the groups of
 * mutation-groups.json: each group mutates a few modules and runs only the test files written
 * about them (vitest.stryker.config.ts narrows vitest's `include` to them), with its own
 * incremental file and reports under reports/mutation/<group>/.
 *
 *   npm run test:mutation                 every group, one after the other
 *   npm run test:mutation -- approvals    one group (several may be named)
 *
 * The narrowing is vitest's, not Stryker's `--testFiles`: with `testFiles`, Stryker 9.6
 * activates a static mutant (a module-level constant) only after the modules have loaded,
 * so it never takes effect and every one of them "survives".
 */

/** @type {Record<string, { mutate: string[]; tests: string[] }>} */
export const groups = JSON.parse(readFileSync(new URL('./mutation-groups.json', import.meta.url), 'utf8'));

const name = process.env.MUTATION_GROUP;
const group = name === undefined ? undefined : groups[name];
if (name !== undefined && group === undefined) {
  throw new Error(`MUTATION_GROUP ${name} is not one of: ${Object.keys(groups).join(', ')}`);
}
const out = `reports/mutation/${name ?? 'all'}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  mutate: group?.mutate ?? Object.values(groups).flatMap((g) => g.mutate),
  concurrency: 2,
  incremental: true,
  incrementalFile: `${out}/stryker-incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${out}/mutation.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  thresholds: { high: 95, low: 90, break: null },
  timeoutMS: 20000,
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
