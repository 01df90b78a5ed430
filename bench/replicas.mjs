// `npm run bench -- --engine postgres --replicas N`: the read and webhook cases against one
// replica, then against N replicas of the real server over one PostgreSQL (embedded, or
// BENCH_DATABASE_URL), through a small round-robin client (no proxy). Checks correctness under
// the load (0 forked chains, 0 duplicate deliveries, 0 lost acknowledged writes), measures the
// read cache's per-request stamp against a LISTEN/NOTIFY invalidation, prints a table and
// writes bench/results-replicas.json.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import { freePort } from './support.mjs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startBenchPostgres } from './pg.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'bench-webhook-secret';
const REPO = 'bench-co/bench-repo';

/** A database server to run on: BENCH_DATABASE_URL's, or the bench's embedded one. */
async function databaseServer() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) return startBenchPostgres();
  return {
    async database(name) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop: async () => {},
  };
}

async function startReplica(env) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-semi-space-size=8', 'dist/server.js'], {
    cwd: root, env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}/health`)).ok) break; } catch { /* not yet */ }
    if (i > 800) throw new Error('replica did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `concurrency` workers send `make(i)` requests to the replicas in turn for `seconds`. */
async function roundRobin(urls, seconds, concurrency, make) {
  const lat = [];
  const statuses = {};
  let n = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const i = n++;
      const { path: p, init } = make(i);
      const t0 = performance.now();
      try {
        const r = await fetch(urls[i % urls.length] + p, init);
        await r.arrayBuffer();
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        lat.push(performance.now() - t0);
      } catch { errors++; }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  lat.sort((a, b) => a - b);
  const r2 = (x) => Math.round(x * 100) / 100;
  return { requests: lat.length, reqPerSec: Math.round(lat.length / seconds), p50: r2(pct(lat, 50)), p99: r2(pct(lat, 99)), errors, statuses };
}

const pushBody = (n) => JSON.stringify({
  ref: 'refs/heads/main', before: '0'.repeat(40), after: n.toString(16).padStart(40, '0'),
  repository: { full_name: REPO, name: 'bench-repo', owner: { login: 'bench-co' } }, pusher: { name: 'bench-bot' },
  head_commit: { id: n.toString(16).padStart(40, '0'), message: `perf: replica bench (#${n})`, author: { name: 'Bench', username: 'bench-bot' } },
  commits: [],
});
const signed = (body, id) => ({ method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` } });

async function json(url, init) { return (await fetch(url, init)).json(); }

/** One phase: `count` replicas over a fresh database, the read and webhook cases, then the checks. */
async function phase(server, count, { seconds, concurrency }) {
  const dbUrl = await server.database(`bench_r${count}`);
  const env = { DATABASE_URL: dbUrl, DATABASE_POOL_MAX: '10', RATE_LIMIT_MAX: '100000000', WEBHOOK_RATE_LIMIT_MAX: '100000000', GITHUB_WEBHOOK_SECRET: SECRET, SCHEDULER_ENABLED: 'false' };
  const first = await startReplica(env);
  const replicas = [first, ...(await Promise.all(Array.from({ length: count - 1 }, () => startReplica(env))))];
  const urls = replicas.map((r) => r.url);
  const post = (u, p, b) => json(u + p, { method: 'POST', body: JSON.stringify(b), headers: { 'content-type': 'application/json' } });
  await post(urls[0], '/api/projects', { repo: REPO });
  for (let i = 0; i < 50; i++) await post(urls[i % count], '/api/agents', { name: `seed-${i}`, type: 'task' });

  const read = await roundRobin(urls, seconds, concurrency, () => ({ path: '/api/agents', init: undefined }));
  // Every 10th delivery id is sent twice (to the next replica too): it must be processed once.
  const webhook = await roundRobin(urls, seconds, concurrency, (i) => {
    const n = i % 10 === 9 ? i - 1 : i;
    return { path: '/webhooks/github', init: signed(pushBody(n), `bench-${count}-${n}`) };
  });
  const acknowledged = [];
  const writes = await roundRobin(urls, Math.max(2, seconds / 2), concurrency, (i) => ({
    path: '/api/agents', init: { method: 'POST', body: JSON.stringify({ name: `w-${i}`, type: 'task' }), headers: { 'content-type': 'application/json' } },
  }));
  const agents = await json(`${urls[count - 1]}/api/agents`);
  const names = new Set(agents.map((a) => a.name));
  for (let i = 0; i < writes.requests + 200; i++) if (names.has(`w-${i}`)) acknowledged.push(i);
  const verify = await json(`${urls[0]}/api/audit/verify`);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  const dup = await pool.query(`SELECT COUNT(*)::int AS n FROM (SELECT metadata::jsonb->>'deliveryId' AS d FROM audit_entries WHERE action = 'ci_event' GROUP BY 1 HAVING COUNT(*) > 1) x`);
  await pool.end();
  await Promise.all(replicas.map((r) => r.stop()));
  return {
    replicas: count, read, webhook, writes,
    forkedChains: verify.valid ? 0 : 1,
    duplicateDeliveries: dup.rows[0].n,
    lostAcknowledgedWrites: (writes.statuses[201] ?? 0) - acknowledged.length,
  };
}

/** The read cache's stamp (one round trip per cached read) against LISTEN/NOTIFY (none, but delivered late). */
async function stampVersusNotify(server) {
  const dbUrl = await server.database('bench_stamp');
  const a = new pg.Client({ connectionString: dbUrl });
  const b = new pg.Client({ connectionString: dbUrl });
  await a.connect();
  await b.connect();
  await a.query('CREATE TABLE t (v int)');
  const stamp = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await b.query('SELECT pg_current_snapshot()::text');
    stamp.push(performance.now() - t0);
  }
  await b.query('LISTEN codespar_changes');
  const lag = [];
  for (let i = 0; i < 500; i++) {
    const heard = new Promise((r) => b.once('notification', () => r(performance.now())));
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES (1)');
    await a.query(`NOTIFY codespar_changes`);
    await a.query('COMMIT');
    const committed = performance.now();
    lag.push((await heard) - committed);
  }
  await a.end();
  await b.end();
  const us = (sorted, p) => Math.round(pct(sorted, p) * 1000);
  stamp.sort((x, y) => x - y);
  lag.sort((x, y) => x - y);
  return {
    stampRoundTripUs: { p50: us(stamp, 50), p99: us(stamp, 99) },
    notifyAfterCommitAckUs: { p50: us(lag, 50), p99: us(lag, 99), max: us(lag, 100), deliveredAfterAck: lag.filter((x) => x > 0).length, of: lag.length },
  };
}

export async function runReplicas({ replicas = '2', duration = '10', connections = '50' }) {
  const count = Number(replicas);
  const opts = { seconds: Number(duration), concurrency: Number(connections) };
  const server = await databaseServer();
  try {
    const stamp = await stampVersusNotify(server);
    console.error('stamp vs notify:', JSON.stringify(stamp));
    const phases = [];
    for (const c of count > 1 ? [1, count] : [1]) {
      console.error(`${c} replica(s)…`);
      phases.push(await phase(server, c, opts));
    }
    const rows = phases.flatMap((p) => [['read GET /api/agents', p.read], ['webhook push', p.webhook], ['write POST /api/agents', p.writes]].map(([name, r]) =>
      `| ${p.replicas} | ${name} | ${r.reqPerSec} | ${r.p50} | ${r.p99} | ${r.errors} |`));
    console.log(['| replicas | case | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|', ...rows].join('\n'));
    for (const p of phases) console.log(`${p.replicas} replica(s): forked chains ${p.forkedChains}, duplicate deliveries ${p.duplicateDeliveries}, lost acknowledged writes ${p.lostAcknowledgedWrites}`);
    const result = { at: new Date().toISOString(), cpus: os.cpus().length, options: opts, stamp, phases };
    fs.writeFileSync(path.join(root, 'bench', 'results-replicas.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await server.stop();
  }
}
