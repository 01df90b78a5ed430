import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, startServer, type ServerProcess } from './server-process.js';
import { TEST_ENGINE } from '../helpers/deps.js';
import { freshMigratedDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * Thirty concurrent 24 MB deliveries against the compiled server: every one refused, and
 * the process's peak resident set (VmHWM) stays under 400 MB. Unsigned bodies are refused
 * from their headers, before a byte is read; bodies that must be read to check their
 * signature are held at most WEBHOOK_INFLIGHT_MB at a time, the rest refused as busy.
 */
const MB = 1024 * 1024;
const BODY = Buffer.alloc(24 * MB, 'x');
const RSS_LIMIT_MB = 400;

let dir: string;
let server: ServerProcess | undefined;
let pgDatabase: TestDatabase | undefined;

/** The server's database on the engine under test: a file, or a PostgreSQL database of its own. */
async function databaseEnv(): Promise<Record<string, string>> {
  if (TEST_ENGINE !== 'postgres') return { DATABASE_PATH: path.join(dir, 'flood.db') };
  pgDatabase = await freshMigratedDatabase();
  return { DATABASE_URL: pgDatabase.url, DATABASE_POOL_MAX: '2' };
}

beforeAll(() => {
  buildServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-flood-'));
}, 120_000);
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  await pgDatabase?.drop();
});

/** Peak resident set of a process, in MB, from /proc/<pid>/status. */
function peakRssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

/**
 * One delivery: its headers at once, its body once `gate` opens (unless it was answered from
 * its headers alone: then the connection is dropped instead).
 */
function post(url: string, headers: Record<string, string>, gate: Promise<void>, answered: () => void): Promise<{ status: number; code: string }> {
  return new Promise((resolve, reject) => {
    let done = false;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(BODY.length), ...headers } }, (res) => {
      done = true;
      answered();
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { code: string }).code });
        req.destroy();
      });
    });
    // Once answered, the connection may go before the body is sent: that is not a failure.
    req.on('error', (err) => (done ? undefined : reject(err)));
    req.flushHeaders();
    void gate.then(() => (done ? undefined : req.end(BODY)));
  });
}

/**
 * Thirty deliveries whose headers all reach the server before any body is sent, so they are
 * concurrent however loaded the machine is: the bodies go once every refusal the in-flight
 * cap must give has come back (all but two of 24 MB under 64 MB), or after 5 s.
 */
function flood(url: string, headers: Record<string, string>) {
  let answers = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  setTimeout(open, 5_000).unref();
  return Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      post(url, { 'x-github-event': 'push', 'x-github-delivery': `flood-${i}-${Math.random()}`, ...headers }, gate, () => {
        if (++answers >= 28) open();
      }),
    ),
  );
}

describe('thirty concurrent 24 MB deliveries to a real server process', () => {
  it('refuses them all and keeps the peak resident set under 400 MB', async () => {
    server = await startServer({
      ...(await databaseEnv()),
      GITHUB_WEBHOOK_SECRET: 'flood-secret',
      WEBHOOK_RATE_LIMIT_MAX: '0',
      RATE_LIMIT_MAX: '0',
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    });
    const pid = server.child.pid!;
    const atStart = peakRssMb(pid);

    // Unsigned, to the instance URL: refused from the headers.
    const unsigned = await flood(`${server.url}/webhooks/github`, {});
    expect(unsigned.map((r) => r.code)).toEqual(Array(30).fill('INVALID_SIGNATURE'));

    // Unsigned, to an org URL (which always needs a signature).
    const org = await flood(`${server.url}/webhooks/github/default`, {});
    expect(org.map((r) => r.code)).toEqual(Array(30).fill('INVALID_SIGNATURE'));

    // Carrying a (wrong) signature: read to be checked, at most 64 MB of them at once.
    const signed = await flood(`${server.url}/webhooks/github`, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
    const codes = signed.map((r) => r.code);
    expect(codes.every((c) => c === 'INVALID_SIGNATURE' || c === 'SERVER_BUSY')).toBe(true);
    expect(codes.filter((c) => c === 'SERVER_BUSY').length).toBeGreaterThanOrEqual(27);

    const peak = peakRssMb(pid);
    console.log(`webhook flood: peak RSS ${peak.toFixed(1)} MB (${atStart.toFixed(1)} MB after start-up), 90 deliveries of 24 MB refused`);
    expect(peak).toBeLessThan(RSS_LIMIT_MB);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 120_000);
});
