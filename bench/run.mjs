// `npm run bench`: seeds a fresh database, starts the real server (node dist/server.js) and a
// bare Express 5 reference (plus, for information, the same bare app on the request classes
// server.ts uses), loads them with autocannon, prints a table and writes bench/results.json.
// Flags: --duration S (default 10), --warmup S (2), --connections N (50), --entries N (1000000),
// --only audit (just the audit cases: appends while seeding, and verify without and with
// AUDIT_HMAC_KEY; writes bench/results-audit.json), --engine sqlite|postgres|both (default
// sqlite; postgres starts an embedded PostgreSQL for the run and stops it at the end; both
// runs every case on each engine, one after the other, each with its own reference rows;
// writes bench/results.json, or bench/results-<engine>.json for postgres and both);
// --engine postgres --replicas N (one and N replicas over one PostgreSQL: bench/replicas.mjs,
// writes bench/results-replicas.json); --only events (live events: 1,000 streams under 200
// audited writes/s; see bench/events.mjs; writes bench/results-events.json).
// BENCH_SERVER_PROF=<dir> starts the servers under test with --cpu-prof into that folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './support.mjs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createHmac } from 'node:crypto';
import { seed, BENCH_ORG, BENCH_REPO } from './seed.mjs';
import { startBenchPostgres } from './pg.mjs';
import { eventsBench } from './events.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    entries: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    engine: { type: 'string', default: 'sqlite' },
    replicas: { type: 'string' },
  },
});
// Replicas over PostgreSQL live in their own module (bench/replicas.mjs).
if (flags.replicas !== undefined) {
  if (flags.engine !== 'postgres') throw new Error('--replicas needs --engine postgres');
  await (await import('./replicas.mjs')).runReplicas(flags);
  process.exit(0);
}
if (!['sqlite', 'postgres', 'both'].includes(flags.engine)) throw new Error('--engine takes: sqlite, postgres, both');
const ENGINES = flags.engine === 'both' ? ['sqlite', 'postgres'] : [flags.engine];
if (flags.only !== undefined && flags.only !== 'audit' && flags.only !== 'events') throw new Error('--only takes: audit, events');
const AUDIT_ONLY = flags.only === 'audit';
const DURATION = Number(flags.duration);
const WARMUP = Number(flags.warmup);
const CONNECTIONS = Number(flags.connections);
const ENTRIES = Number(flags.entries);
const SECRET = 'bench-webhook-secret';
const HMAC_KEY = 'bench-audit-hmac-key-of-at-least-32-chars';

async function waitFor200(url, timeoutMs = 20_000) {
  const start = Date.now();
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status === 200) return Date.now() - start;
    } catch {
      // not listening yet
    }
    if (Date.now() - start > timeoutMs) throw new Error(`no 200 from ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Peak resident set (VmHWM) of a process, in MB. */
function peakRssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

// The server runs as it is deployed (npm start, Dockerfile): with a young generation capped at
// 8 MB per semi-space, which keeps the resident set lower under load at no cost in CPU.
const SERVER_ARGS = [...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`] : []), '--max-semi-space-size=8', 'dist/server.js'];

function startProcess(args, env) {
  return spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

function load(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Warm-up, then two measured rounds; the row keeps both rounds and their mean. */
async function runCase(name, opts) {
  await load({ ...opts, duration: WARMUP });
  const rounds = [];
  for (let i = 0; i < 2; i++) {
    const r = await load({ ...opts, duration: DURATION });
    rounds.push({
      reqPerSec: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
      requests: r.requests.total,
    });
  }
  const mean = (k) => rounds.reduce((n, r) => n + r[k], 0) / rounds.length;
  const row = {
    name,
    reqPerSec: Math.round(mean('reqPerSec')),
    p50: Math.max(...rounds.map((r) => r.p50)),
    p99: Math.max(...rounds.map((r) => r.p99)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    rounds,
  };
  console.error(`  ${name}: ${row.reqPerSec} req/s, p99 ${row.p99} ms`);
  return row;
}

/** CPU time (user + system) a process has used so far, in ms: steadier than wall time on a shared machine. */
function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Two verifications in a row (cold, then warm): their wall times, the server's CPU time, and the last answer. */
async function timeVerify(base, headers, label, pid) {
  const ms = [];
  const cpu = [];
  let answer;
  for (let i = 0; i < 2; i++) {
    const c0 = cpuMs(pid);
    const t0 = performance.now();
    answer = await (await fetch(`${base}/api/audit/verify`, { headers })).json();
    ms.push(Math.round(performance.now() - t0));
    cpu.push(Math.round(cpuMs(pid) - c0));
  }
  console.error(`  verify${label}: ${ms.join(' / ')} ms (cpu ${cpu.join(' / ')} ms) over ${answer.checked} entries, valid ${answer.valid}, keyed ${answer.keyed}, unkeyed ${answer.unkeyed}`);
  return { ms, cpuMs: cpu, checked: answer.checked, valid: answer.valid, keyed: answer.keyed, unkeyed: answer.unkeyed };
}

/**
 * The same trail appended with AUDIT_HMAC_KEY set (every entry sealed), then verified by a
 * server holding the key: the cost of the seals on appends and on verify.
 */
async function keyedAudit(port, store) {
  console.error(`seeding ${ENTRIES} audit entries with AUDIT_HMAC_KEY …`);
  const { seeded, dbEnv } = await store.seeded('bench_keyed', { auditEntries: ENTRIES, agents: 1, env: { AUDIT_HMAC_KEY: HMAC_KEY } });
  const env = { PORT: String(port), HOST: '127.0.0.1', ...dbEnv, LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0', AUDIT_HMAC_KEY: HMAC_KEY };
  const api = startProcess(SERVER_ARGS, env);
  await waitFor200(`http://127.0.0.1:${port}/health`);
  const verify = await timeVerify(`http://127.0.0.1:${port}`, { 'x-org-id': BENCH_ORG }, ' (keyed)', api.pid);
  await stop(api);
  return { ...seedFigures(seeded), verify };
}

const tenths = (ms) => Math.round(ms / 100) / 10;
const seedFigures = (seeded) => ({
  auditSeedSeconds: tenths(seeded.auditSeedMs),
  auditSeedCpuSeconds: tenths(seeded.auditSeedCpuMs),
  ...(seeded.copyMs === undefined ? {} : { sqliteSeedSeconds: tenths(seeded.sqliteSeedMs), copySeconds: tenths(seeded.copyMs) }),
});

/**
 * Where an engine's databases come from. SQLite: a file seeded through the real append path.
 * PostgreSQL: the same file, then copied with `db:copy` (PostgreSQL's way in for a trail of
 * this size; its seeding time is the two together, the copy shown apart).
 */
function sqliteStore(dir) {
  return {
    async seeded(name, opts) {
      const file = path.join(dir, `${name}.db`);
      const seeded = await seed(file, opts);
      console.error(`  seeded in ${(seeded.auditSeedMs / 1000).toFixed(1)} s`);
      return { seeded, dbEnv: { DATABASE_PATH: file } };
    },
    stop: async () => undefined,
  };
}

async function postgresStore(dir) {
  const server = await startBenchPostgres();
  const files = sqliteStore(dir);
  return {
    async seeded(name, opts) {
      const { seeded, dbEnv } = await files.seeded(name, opts);
      const url = await server.database(name);
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        const copy = spawn(process.execPath, ['dist/tools/db-copy.js', '--from', dbEnv.DATABASE_PATH, '--to', url], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        copy.stderr.on('data', (c) => (err = (err + c).slice(-2000)));
        copy.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`db:copy failed (${code}): ${err}`))));
      });
      const copyMs = performance.now() - t0;
      console.error(`  copied into PostgreSQL in ${(copyMs / 1000).toFixed(1)} s`);
      fs.rmSync(dbEnv.DATABASE_PATH, { force: true });
      return {
        seeded: { ...seeded, sqliteSeedMs: seeded.auditSeedMs, copyMs, auditSeedMs: seeded.auditSeedMs + copyMs },
        dbEnv: { DATABASE_URL: url, DATABASE_POOL_MAX: '10' },
      };
    },
    stop: () => server.stop(),
  };
}

/** Push `n`: every delivery a different body, as GitHub's are (the same bytes again would be a replay). */
function pushPayload(n) {
  const sha = n.toString(16).padStart(40, '0');
  return JSON.stringify({
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: sha,
    repository: { full_name: BENCH_REPO, name: 'bench-repo', owner: { login: 'bench-co' } },
    pusher: { name: 'bench-bot', email: 'bot@example.com' },
    head_commit: { id: sha, message: `perf: keep the hot path cheap (#${n})\n\nbody`, author: { name: 'Bench', username: 'bench-bot' } },
    commits: [{ id: sha, message: `perf: keep the hot path cheap (#${n})\n\nbody` }],
  });
}

const signature = (body) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

async function main() {
  if (flags.only === 'events') return eventsOnly();
  for (const engine of ENGINES) {
    console.error(`\n=== engine: ${engine}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-bench-'));
    const store = engine === 'postgres' ? await postgresStore(dir) : sqliteStore(dir);
    try {
      await runEngine(engine, store);
    } finally {
      await store.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function runEngine(engine, store) {
  console.error(`seeding ${ENTRIES} audit entries …`);
  const { seeded, dbEnv } = await store.seeded('bench', { auditEntries: ENTRIES, agents: 100 });

  if (AUDIT_ONLY) return auditOnly(engine, store, dbEnv, seeded);

  const refPort = await freePort();
  const ref = startProcess([path.join(here, 'reference-server.mjs')], { PORT: String(refPort) });
  await waitFor200(`http://127.0.0.1:${refPort}/`);
  // Informational: the same bare app on the request classes server.ts uses (see README).
  const sameClassesPort = await freePort();
  const sameClasses = startProcess([path.join(here, 'reference-server.mjs')], { PORT: String(sameClassesPort), REQUEST_CLASSES: '1' });
  await waitFor200(`http://127.0.0.1:${sameClassesPort}/`);

  const apiPort = await freePort();
  const env = {
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    ...dbEnv,
    LOG_LEVEL: 'info',
    RATE_LIMIT_MAX: '0',
    WEBHOOK_RATE_LIMIT_MAX: '0',
    GITHUB_WEBHOOK_SECRET: SECRET,
  };
  let api = startProcess(SERVER_ARGS, env);
  const firstStartMs = await waitFor200(`http://127.0.0.1:${apiPort}/health`);
  const base = `http://127.0.0.1:${apiPort}`;
  const org = { 'x-org-id': BENCH_ORG };
  const rows = [];

  rows.push(await runCase('bare Express GET / (reference)', { url: `http://127.0.0.1:${refPort}/` }));
  const sameClassesRow = await runCase('bare Express GET /, our request classes (info)', { url: `http://127.0.0.1:${sameClassesPort}/` });
  await stop(sameClasses);
  rows.push(await runCase('GET /health', { url: `${base}/health` }));
  rows.push(await runCase('GET /api/agents (100 agents)', { url: `${base}/api/agents`, headers: org }));
  rows.push(await runCase('GET /api/agents/:id', { url: `${base}/api/agents/${seeded.agentId}`, headers: org }));
  rows.push(await runCase('GET /api/audit?limit=20 page 1', { url: `${base}/api/audit?limit=20`, headers: org }));
  rows.push(await runCase('GET /api/audit?limit=20 page 25000', { url: `${base}/api/audit?limit=20&page=25000`, headers: org }));
  rows.push(await runCase('GET /api/audit?limit=20&risk=critical', { url: `${base}/api/audit?limit=20&risk=critical`, headers: org }));

  const verified = await timeVerify(base, org, '', api.pid);

  let delivery = 0;
  let acknowledged = 0;
  const before = (await (await fetch(`${base}/api/audit?action=ci_event&limit=1`, { headers: org })).json()).total;
  const webhookOpts = {
    url: `${base}/webhooks/github`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    requests: [
      {
        setupRequest: (req) => {
          const n = ++delivery;
          const body = pushPayload(n);
          return { ...req, body, headers: { ...req.headers, 'x-github-delivery': `bench-${n}`, 'x-hub-signature-256': signature(body) } };
        },
        onResponse: (status) => {
          if (status >= 200 && status < 300) acknowledged++;
        },
      },
    ],
  };
  const webhookRow = await runCase('POST /webhooks/github (signed push, L3)', webhookOpts);
  rows.push(webhookRow);
  const after = (await (await fetch(`${base}/api/audit?action=ci_event&limit=1`, { headers: org })).json()).total;
  const postVerify = await (await fetch(`${base}/api/audit/verify`, { headers: org })).json();
  // Every acknowledged delivery must have its ci_event; requests cut off when a round ends
  // may be recorded without their answer being counted, never the other way round.
  const recorded = after - before;
  const webhookCheck = {
    deliveriesSent: delivery,
    acknowledged2xx: acknowledged,
    ciEventsRecorded: recorded,
    lost: Math.max(0, acknowledged - recorded),
    chainValid: postVerify.valid,
    entriesVerified: postVerify.checked,
  };
  console.error(`  webhook check: ${JSON.stringify(webhookCheck)}`);

  const peakRss = peakRssMb(api.pid);
  await stop(api);

  // Cold start on the now-larger database: process start to the first 200 on /health.
  api = startProcess(SERVER_ARGS, env);
  const coldStartMs = await waitFor200(`http://127.0.0.1:${apiPort}/health`);
  const startPeak = peakRssMb(api.pid);
  await stop(api);
  await stop(ref);
  const keyed = await keyedAudit(apiPort, store);

  const refRps = rows[0].reqPerSec;
  const round2 = (x) => Math.round(x * 100) / 100;
  for (const r of rows) {
    r.ratio = round2(r.reqPerSec / refRps);
    r.ratioToSameClasses = round2(r.reqPerSec / sameClassesRow.reqPerSec);
  }
  sameClassesRow.ratio = round2(sameClassesRow.reqPerSec / refRps);
  const results = {
    engine,
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    durationS: DURATION,
    connections: CONNECTIONS,
    auditEntries: ENTRIES,
    ...seedFigures(seeded),
    cases: rows,
    // Not a target: the bare app served like ours, to show what our own code costs.
    sameClassesReference: sameClassesRow,
    verify: verified,
    keyed,
    webhookCheck,
    peakRssMb: Math.max(peakRss, startPeak),
    startToFirstHealthMs: { first: firstStartMs, afterLoad: coldStartMs },
  };
  fs.mkdirSync(here, { recursive: true });
  fs.writeFileSync(path.join(here, flags.engine === 'sqlite' ? 'results.json' : `results-${engine}.json`), JSON.stringify(results, null, 2));
  printTable(results);
}

function printTable(r) {
  const pad = (s, n) => String(s).padEnd(n);
  const lpad = (s, n) => String(s).padStart(n);
  console.log(`\nengine: ${r.engine} (load average at the end ${r.loadAverage.map((x) => x.toFixed(1)).join(' ')})`);
  console.log(`${pad('case', 48)}${lpad('req/s', 9)}${lpad('p50 ms', 8)}${lpad('p99 ms', 8)}${lpad('errors', 8)}${lpad('non2xx', 8)}${lpad('× ref', 7)}${lpad('× info', 8)}`);
  const row = (c) =>
    console.log(`${pad(c.name, 48)}${lpad(c.reqPerSec, 9)}${lpad(c.p50, 8)}${lpad(c.p99, 8)}${lpad(c.errors, 8)}${lpad(c.non2xx, 8)}${lpad(c.ratio.toFixed(2), 7)}${lpad(c.ratioToSameClasses?.toFixed(2) ?? '', 8)}`);
  row(r.cases[0]);
  row(r.sameClassesReference);
  for (const c of r.cases.slice(1)) row(c);
  console.log('× ref: to the bare Express reference (the targets); × info: to the same bare app on our request classes');
  const copied = r.copySeconds === undefined ? '' : ` (SQLite file ${r.sqliteSeedSeconds} s, then db:copy ${r.copySeconds} s)`;
  console.log(`\naudit seed: ${r.auditEntries} entries in ${r.auditSeedSeconds} s${copied} (cpu of the appends ${r.auditSeedCpuSeconds} s)`);
  console.log(`verify: ${r.verify.ms.join(' / ')} ms (cpu ${r.verify.cpuMs.join(' / ')} ms) over ${r.verify.checked} entries (valid: ${r.verify.valid})`);
  console.log(
    `with AUDIT_HMAC_KEY: seed ${r.keyed.auditSeedSeconds} s (cpu ${r.keyed.auditSeedCpuSeconds} s); verify ${r.keyed.verify.ms.join(' / ')} ms (cpu ${r.keyed.verify.cpuMs.join(' / ')} ms) over ${r.keyed.verify.checked} entries (valid: ${r.keyed.verify.valid}, keyed: ${r.keyed.verify.keyed})`,
  );
  console.log(`webhooks: ${JSON.stringify(r.webhookCheck)}`);
  console.log(`peak RSS: ${r.peakRssMb} MB; start to first 200 on /health: ${r.startToFirstHealthMs.first} ms (fresh seed), ${r.startToFirstHealthMs.afterLoad} ms (after load)`);
}

/** --only audit: appends (the seeds) and verify, without and with the key; no HTTP load. */
async function auditOnly(engine, store, dbEnv, seeded) {
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', ...dbEnv, LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0' };
  const api = startProcess(SERVER_ARGS, env);
  await waitFor200(`http://127.0.0.1:${port}/health`);
  const verify = await timeVerify(`http://127.0.0.1:${port}`, { 'x-org-id': BENCH_ORG }, '', api.pid);
  await stop(api);
  const keyed = await keyedAudit(port, store);
  const results = {
    engine,
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    auditEntries: ENTRIES,
    unkeyed: { ...seedFigures(seeded), verify },
    keyed,
  };
  fs.writeFileSync(path.join(here, flags.engine === 'sqlite' ? 'results-audit.json' : `results-audit-${engine}.json`), JSON.stringify(results, null, 2));
  console.log(`\naudit on ${engine}, ${ENTRIES} entries in one org`);
  const line = (name, r) =>
    `${name} seed ${r.auditSeedSeconds} s (cpu ${r.auditSeedCpuSeconds} s); verify ${r.verify.ms.join(' / ')} ms (cpu ${r.verify.cpuMs.join(' / ')} ms; valid: ${r.verify.valid}, keyed: ${r.verify.keyed}, unkeyed: ${r.verify.unkeyed})`;
  console.log(line('without AUDIT_HMAC_KEY:', results.unkeyed));
  console.log(line('with AUDIT_HMAC_KEY:   ', keyed));
}

/** --only events: live-event delivery, memory and write throughput with 1,000 streams open. */
async function eventsOnly() {
  const runs = [];
  // Every stream on the org every write goes to (the worst case), then dashboards spread over ten orgs.
  for (const orgs of [1, 10]) runs.push(await eventsBench({ root, serverArgs: SERVER_ARGS, seconds: DURATION, orgs }));
  const results = { at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), runs };
  fs.writeFileSync(path.join(here, 'results-events.json'), JSON.stringify(results, null, 2));
  runs.forEach(printEvents);
}

function printEvents(r) {
  console.log(`\nlive events: ${r.streams} streams over ${r.orgs} org(s), ${r.writesPerSecond} audited writes/s for ${r.seconds} s (${r.writes.sent} sent, ${r.writes.failed} failed${r.writes.why ? ` ${JSON.stringify(r.writes.why)}` : ''})`);
  console.log(`cpu during the writes: server ${r.cpuSeconds.server} s, stream readers ${r.cpuSeconds.readers} s, load generator ${r.cpuSeconds.bench} s`);
  const answered = (w) => `${w.answeredPerSecond}/s answered 201 (p50 ${w.answerMs.p50} ms, p99 ${w.answerMs.p99} ms)`;
  console.log(`writes at ${r.writesPerSecond}/s: ${answered(r.writesWithoutStreams)} without streams, ${answered(r.writes)} with them`);
  console.log(`frames received ${r.frames.received} of ${r.frames.expected}; commit to frame p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`);
  console.log(`RSS: ${r.rssMb.idle} MB idle, ${r.rssMb.withStreams} MB with the streams open, ${r.rssMb.peak} MB peak`);
  console.log(`write throughput: ${r.throughput.without.reqPerSec} req/s without streams, ${r.throughput.withStreams.reqPerSec} req/s with them (x${r.throughput.ratio})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
