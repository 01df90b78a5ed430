// `npm run bench -- --only events`: live events under load, on one server process (SQLite).
// 1,000 streams (from 50 loopback addresses: at most 20 per client IP) all follow the default
// org's audit.appended events while audited writes (POST /api/agents) arrive at a fixed rate;
// each frame's delay is measured from its entry's timestamp (taken inside the committing unit
// of work, on this machine's clock) to the moment the reader parsed it. The streams are read
// by a process of their own (bench/events-readers.mjs), so the load generator here does not
// take turns with them on one event loop. Then: the writes' own answers at that rate, with and
// without the streams; the write throughput at saturation with the streams open against the
// same without them; and the resident set.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import { freePort, percentile } from './support.mjs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const memMb = (pid, field) => Math.round((Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024) * 10) / 10;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
  const answeredIn = [];
  const why = {};
  const inFlight = new Set();
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * perSecond);
    while (sent < due) {
      sent++;
      const at = performance.now();
      const p = fetch(`${base}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-org-id': orgIds[sent % orgIds.length] }, body })
        .then((r) => {
          if (r.status === 201) answeredIn.push(performance.now() - at);
          else {
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
  const elapsed = (Date.now() - t0) / 1000;
  answeredIn.sort((a, b) => a - b);
  const ms = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    sent,
    failed,
    ...(failed ? { why } : {}),
    answeredPerSecond: Math.round((answeredIn.length / elapsed) * 10) / 10,
    answerMs: { p50: ms(percentile(answeredIn, 50)), p99: ms(percentile(answeredIn, 99)) },
  };
}

/** Sends the readers' process a message and waits for its answer of the given kind. */
function ask(child, msg, answer) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.op === 'error') reject(new Error(`stream readers: ${m.message}`));
      else if (m.op !== answer) return;
      else resolve(m);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onExit = (code) => reject(new Error(`stream readers exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(msg);
  });
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
  let readers;
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
    const orgIds = ['default'];
    for (let i = 1; i < orgs; i++) {
      const r = await fetch(`${base}/api/orgs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `Bench ${i}` }) });
      orgIds.push((await r.json()).id);
    }
    console.error('events: write throughput without streams …');
    await throughput(base, 2);
    const without = await throughput(base, seconds);
    console.error(`events: ${writesPerSecond} writes/s for ${seconds} s without streams …`);
    const steadyWithout = await steadyWrites(base, writesPerSecond, seconds, orgIds);
    const rssIdleMb = memMb(server.pid, 'VmRSS');

    console.error(`events: opening ${streams} streams …`);
    readers = fork(path.join(path.dirname(new URL(import.meta.url).pathname), 'events-readers.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await ask(readers, { op: 'open', port, streams, orgIds }, 'opened');
    const rssStreamsMb = memMb(server.pid, 'VmRSS');

    console.error(`events: ${writesPerSecond} writes/s for ${seconds} s with the streams open …`);
    await steadyWrites(base, writesPerSecond, 1, orgIds);
    await ask(readers, { op: 'record', on: true }, 'recording');
    const cpu0 = { server: cpuSeconds(server.pid), bench: process.cpuUsage(), readers: (await ask(readers, { op: 'cpu' }, 'cpu')).seconds };
    const steady = await steadyWrites(base, writesPerSecond, seconds, orgIds);
    await new Promise((r) => setTimeout(r, 500));
    const { summary } = await ask(readers, { op: 'record', on: false }, 'recorded');
    const benchCpu = process.cpuUsage(cpu0.bench);
    const readersCpu = (await ask(readers, { op: 'cpu' }, 'cpu')).seconds - cpu0.readers;
    const tenths = (v) => Math.round(v * 10) / 10;
    const cpu = { server: tenths(cpuSeconds(server.pid) - cpu0.server), bench: tenths((benchCpu.user + benchCpu.system) / 1e6), readers: tenths(readersCpu) };
    const expectedFrames = steady.sent * (streams / orgs);

    console.error('events: write throughput with the streams open …');
    const withStreams = await throughput(base, seconds);
    const rssPeakMb = memMb(server.pid, 'VmHWM');
    return {
      streams,
      orgs,
      writesPerSecond,
      seconds,
      writes: steady,
      writesWithoutStreams: steadyWithout,
      frames: { received: summary.frames, expected: expectedFrames },
      cpuSeconds: cpu,
      latencyMs: { p50: summary.p50, p99: summary.p99, max: summary.max },
      rssMb: { idle: rssIdleMb, withStreams: rssStreamsMb, peak: rssPeakMb },
      throughput: { without, withStreams, ratio: Math.round((withStreams.reqPerSec / without.reqPerSec) * 100) / 100 },
    };
  } finally {
    if (readers && readers.exitCode === null) {
      readers.send({ op: 'close' });
      await new Promise((resolve) => readers.once('exit', resolve));
    }
    await new Promise((resolve) => {
      if (server.exitCode !== null) return resolve();
      server.once('exit', resolve);
      server.kill('SIGTERM');
    });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
