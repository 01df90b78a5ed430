// `npm run bench -- --only events`: live events under load, on one server process (SQLite).
// 1,000 streams (from 50 loopback addresses: at most 20 per client IP) all follow the default
// org's audit.appended events while audited writes (POST /api/agents) arrive at a fixed rate;
// each frame's delay is measured from its entry's timestamp (taken inside the committing unit
// of work, on this machine's clock) to the moment the client parsed it. Then the write
// throughput with the streams open against the same without them, and the resident set.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { freePort } from './support.mjs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const memMb = (pid, field) => Math.round((Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024) * 10) / 10;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One stream from a given loopback address; calls `onFrame(delayMs)` per audit frame. */
function openStream(port, localAddress, orgId, onFrame) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/events?types=audit.appended', localAddress, agent: false, headers: { 'x-org-id': orgId } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk) => {
        const now = Date.now();
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const at = block.indexOf('"timestamp":"');
          if (at >= 0) onFrame(now - Date.parse(block.slice(at + 13, at + 37)));
        }
      });
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}

async function throughput(base, seconds) {
  const r = await autocannon({
    url: `${base}/api/agents`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench writer', type: 'task' }),
    connections: 10,
    duration: seconds,
  });
  return { reqPerSec: Math.round(r.requests.average), non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

/** Writes at `perSecond` for `seconds`, evenly spaced, without waiting on answers. */
async function steadyWrites(base, perSecond, seconds, orgIds) {
  const body = JSON.stringify({ name: 'steady writer', type: 'task' });
  let sent = 0;
  let failed = 0;
  const why = {};
  const inFlight = new Set();
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * perSecond);
    while (sent < due) {
      sent++;
      const p = fetch(`${base}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-org-id': orgIds[sent % orgIds.length] }, body })
        .then((r) => {
          if (r.status !== 201) {
            failed++;
            why[r.status] = (why[r.status] ?? 0) + 1;
          }
          return r.arrayBuffer();
        })
        .catch((err) => {
          failed++;
          const k = err.cause?.code ?? err.message;
          why[k] = (why[k] ?? 0) + 1;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inFlight);
  return { sent, failed, ...(failed ? { why } : {}) };
}

/**
 * `orgs`: the streams are spread over that many orgs and the writes go round them (1: every
 * stream follows the org every write goes to, the worst case).
 */
export async function eventsBench({ root, serverArgs, streams = 1000, writesPerSecond = 200, seconds = 10, orgs = 1 }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-events-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: path.join(dir, 'events.db'), LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0', SCHEDULER_ENABLED: 'false', EVENTS_MAX_STREAMS: String(streams + 10) };
  const server = spawn(process.execPath, serverArgs, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/health`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 400) throw new Error('server did not come up');
      await new Promise((r) => setTimeout(r, 25));
    }
    console.error('events: write throughput without streams …');
    await throughput(base, 2);
    const without = await throughput(base, seconds);
    const rssIdleMb = memMb(server.pid, 'VmRSS');

    console.error(`events: opening ${streams} streams …`);
    const delays = [];
    let frames = 0;
    const onFrame = (ms) => {
      frames++;
      if (recording) delays.push(ms);
    };
    let recording = false;
    const reqs = [];
    const orgIds = ['default'];
    for (let i = 1; i < orgs; i++) {
      const r = await fetch(`${base}/api/orgs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `Bench ${i}` }) });
      orgIds.push((await r.json()).id);
    }
    for (let i = 0; i < streams; i++) reqs.push(await openStream(port, `127.0.0.${2 + Math.floor(i / 20)}`, orgIds[i % orgs], onFrame));
    const rssStreamsMb = memMb(server.pid, 'VmRSS');

    console.error(`events: ${writesPerSecond} writes/s for ${seconds} s with the streams open …`);
    await steadyWrites(base, writesPerSecond, 1, orgIds);
    recording = true;
    const cpu0 = { server: cpuSeconds(server.pid), client: process.cpuUsage() };
    const steady = await steadyWrites(base, writesPerSecond, seconds, orgIds);
    await new Promise((r) => setTimeout(r, 500));
    recording = false;
    const clientCpu = process.cpuUsage(cpu0.client);
    const cpu = { server: Math.round((cpuSeconds(server.pid) - cpu0.server) * 10) / 10, client: Math.round((clientCpu.user + clientCpu.system) / 1e5) / 10 };
    const sorted = [...delays].sort((a, b) => a - b);
    const expectedFrames = steady.sent * (streams / orgs);

    console.error('events: write throughput with the streams open …');
    const withStreams = await throughput(base, seconds);
    const rssPeakMb = memMb(server.pid, 'VmHWM');
    reqs.forEach((r) => r.destroy());
    return {
      streams,
      orgs,
      writesPerSecond,
      seconds,
      writes: steady,
      frames: { received: sorted.length, expected: expectedFrames, total: frames },
      cpuSeconds: cpu,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null },
      rssMb: { idle: rssIdleMb, withStreams: rssStreamsMb, peak: rssPeakMb },
      throughput: { without, withStreams, ratio: Math.round((withStreams.reqPerSec / without.reqPerSec) * 100) / 100 },
    };
  } finally {
    await new Promise((resolve) => {
      if (server.exitCode !== null) return resolve();
      server.once('exit', resolve);
      server.kill('SIGTERM');
    });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
