// npm run test:mutation [-- group ...]: StrykerJS once per group of stryker.config.mjs, one
// group at a time and at low priority (the machine is shared), then the score per module.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { groups } from '../stryker.config.mjs';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const names = args.filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !(n in groups));
if (unknown.length > 0) {
  console.error(`unknown group(s): ${unknown.join(', ')}; groups: ${Object.keys(groups).join(', ')}`);
  process.exit(2);
}

const stryker = ['node_modules/.bin/stryker', 'run', ...flags];
const [cmd, ...rest] = process.platform === 'win32' ? stryker : ['nice', '-n', '10', ...stryker];
const rows = [];
let failed = false;
for (const name of names.length > 0 ? names : Object.keys(groups)) {
  console.log(`\n== mutation group ${name}`);
  const run = spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, MUTATION_GROUP: name } });
  if (run.status !== 0) failed = true;
  const report = `reports/mutation/${name}/mutation.json`;
  if (existsSync(report)) rows.push(...scores(JSON.parse(readFileSync(report, 'utf8'))));
}

console.log('\n| module | killed | timeout | survived | no coverage | ignored | score (covered) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
process.exit(failed ? 1 : 0);

/** One table row per file: the score counts detected (killed + timeout) over covered, compiled mutants. */
function scores(report) {
  return Object.entries(report.files).map(([file, { mutants }]) => {
    const n = (s) => mutants.filter((m) => m.status === s).length;
    const [killed, timeout, survived, noCov, ignored] = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'Ignored'].map(n);
    const covered = killed + timeout + survived;
    const score = covered === 0 ? 'n/a' : `${((100 * (killed + timeout)) / covered).toFixed(1)} %`;
    return `| \`${file.replace(/^src\//, '')}\` | ${killed} | ${timeout} | ${survived} | ${noCov} | ${ignored} | ${score} (${killed + timeout}/${covered}) |`;
  });
}
