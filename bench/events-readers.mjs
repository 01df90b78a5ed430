// The stream readers of `npm run bench -- --only events`, in a process of their own (forked by
// bench/events.mjs), so that reading a thousand streams does not take turns with the load
// generator on one event loop. Frames are parsed (their entry timestamp read, the delay to now
// recorded) only while recording; otherwise the readers only drain their sockets, as a
// dashboard that is not looking at the numbers would.
//
// Messages from the parent: {op: 'open', port, streams, orgIds} → {op: 'opened'};
// {op: 'record', on} → {op: 'recording'} when on, else {op: 'recorded', summary};
// {op: 'cpu'} → {op: 'cpu', seconds}; {op: 'close'} → the process exits.
import http from 'node:http';
import { percentile } from './support.mjs';

const reqs = [];
let recording = false;
let delays = [];
let frames = 0;

/** One stream from a given loopback address. */
function openStream(port, localAddress, orgId) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/events?types=audit.appended', localAddress, agent: false, headers: { 'x-org-id': orgId } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buf = '';
      res.on('data', (chunk) => {
        if (!recording) {
          buf = '';
          return;
        }
        const now = Date.now();
        buf += chunk.toString('utf8');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const at = block.indexOf('"timestamp":"');
          if (at >= 0) {
            frames++;
            delays.push(now - Date.parse(block.slice(at + 13, at + 37)));
          }
        }
      });
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}

process.on('message', async (msg) => {
  try {
    if (msg.op === 'open') {
      for (let i = 0; i < msg.streams; i++) reqs.push(await openStream(msg.port, `127.0.0.${2 + Math.floor(i / 20)}`, msg.orgIds[i % msg.orgIds.length]));
      process.send({ op: 'opened' });
    } else if (msg.op === 'record') {
      recording = msg.on;
      if (msg.on) {
        delays = [];
        frames = 0;
        process.send({ op: 'recording' });
      } else {
        const sorted = delays.sort((a, b) => a - b);
        process.send({ op: 'recorded', summary: { frames, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null } });
        delays = [];
      }
    } else if (msg.op === 'cpu') {
      const u = process.cpuUsage();
      process.send({ op: 'cpu', seconds: (u.user + u.system) / 1e6 });
    } else if (msg.op === 'close') {
      for (const r of reqs) r.destroy();
      process.exit(0);
    }
  } catch (err) {
    process.send({ op: 'error', message: String(err?.message ?? err) });
  }
});
