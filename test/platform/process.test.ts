import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../reliability/server-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'dist/server.js');

let tmp: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  buildServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-process-'));
}, 120_000);
// Once at the end, not per test: the config-error tests run concurrently.
afterAll(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the compiled server with only PATH inherited, so the developer's env cannot leak in. */
function start(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [SERVER], { cwd: tmp, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitFor(check: () => boolean, what: string, run: Run): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    if (run.child.exitCode !== null) throw new Error(`server exited before ${what}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}: ${run.stdout()} ${run.stderr()}`);
}

describe.concurrent('configuration errors', () => {
  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: 'abc', LOG_LEVEL: 'silent' }],
    ['PORT', { PORT: '70000' }],
    ['RATE_LIMIT_MAX', { RATE_LIMIT_MAX: '-1' }],
    ['SCHEDULER_ENABLED', { SCHEDULER_ENABLED: 'maybe', LOG_LEVEL: 'silent' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'sometimes' }],
    ['GITHUB_API_URL', { GITHUB_API_URL: 'ftp://example.com' }],
  ])('exits 1 with one stderr line naming %s and no stack trace (%j)', async (name, env) => {
    const run = start({ DATABASE_PATH: path.join(tmp, 'never.db'), ...env });
    const { code } = await run.exited;
    expect(code).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(run.stderr()).not.toMatch(/^\s+at /m);
    expect(run.stderr()).not.toMatch(/Error:/);
    expect(fs.existsSync(path.join(tmp, 'never.db'))).toBe(false);
  });

  it.each([
    ['a directory', () => tmp],
    ['a file that is not a database', () => (fs.writeFileSync(path.join(tmp, 'notes.txt'), 'x'.repeat(4096)), path.join(tmp, 'notes.txt'))],
  ])('exits 1 with one line naming DATABASE_PATH when it is %s', async (_what, file) => {
    const run = start({ DATABASE_PATH: file(), LOG_LEVEL: 'silent' });
    expect((await run.exited).code).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: DATABASE_PATH /);
    expect(run.stderr()).not.toMatch(/^\s+at /m);
  });

  it('never prints a secret value in the error line', async () => {
    const run = start({ API_TOKENS: 'supersecretvalue', LOG_LEVEL: 'silent' });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('API_TOKENS');
    expect(run.stderr()).not.toContain('supersecretvalue');
  });
});

describe('serving and shutdown', () => {
  it('serves /health and /api over a fresh database file, and SIGTERM exits 0 leaving the file intact', async () => {
    const port = await freePort();
    const dbFile = path.join(tmp, 'nested', 'folder', 'codespar.db');
    const env = { PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: dbFile, LOG_LEVEL: 'info' };
    const base = `http://127.0.0.1:${port}`;

    const first = start(env);
    await waitFor(() => first.stdout().includes('CodeSpar API listening'), 'listening', first);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-api-version')).toBe('v1');
    expect(await health.json()).toMatchObject({ status: 'ok', version: expect.any(String), uptime: expect.any(Number) });
    const orgs = await fetch(`${base}/api/orgs`);
    expect(orgs.status).toBe(200);
    expect((await orgs.json()) as Array<{ id: string }>).toEqual([expect.objectContaining({ id: 'default' })]);
    const created = await fetch(`${base}/v1/api/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor-id': 'ops' },
      body: JSON.stringify({ name: 'Durable' }),
    });
    expect(created.status).toBe(201);

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.stderr()).toBe('');
    expect(first.stdout()).toContain('shutting down');

    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT id FROM orgs ORDER BY id').pluck().all()).toEqual(['default', 'org-durable']);
      expect(db.prepare('SELECT actor_id FROM audit_entries').pluck().all()).toEqual(['ops']);
    } finally {
      db.close();
    }

    // A second start over the same file keeps the data and does not migrate again; SIGINT exits 0 too.
    const second = start(env);
    await waitFor(() => second.stdout().includes('CodeSpar API listening'), 'listening again', second);
    expect(second.stdout()).not.toContain('database migrated');
    const again = (await (await fetch(`${base}/api/orgs`)).json()) as Array<{ id: string }>;
    expect(again.map((o) => o.id).sort()).toEqual(['default', 'org-durable']);
    const verify = await (await fetch(`${base}/api/audit/verify`, { headers: { 'x-org-id': 'org-durable' } })).json();
    expect(verify).toEqual({ valid: true, checked: 1, brokenAt: null, keyed: false, unkeyed: 1 });
    second.child.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('runs a first health check at start-up, so /health reports real checks without waiting for the schedule', async () => {
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: path.join(tmp, 'health-start.db'), LOG_LEVEL: 'info' };
    const run = start(env);
    await waitFor(() => run.stdout().includes('CodeSpar API listening'), 'listening', run);
    let body: { status: string; checks: Record<string, { status: string }> } | undefined;
    for (let i = 0; i < 100 && body?.checks.agents?.status !== 'ok'; i++) {
      body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as typeof body;
      if (body?.checks.agents?.status !== 'ok') await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' }, channels: { status: 'ok' }, agents: { status: 'ok' } } });
    const task = (await (await fetch(`http://127.0.0.1:${port}/api/scheduler/health-check`)).json()) as { runCount: number };
    expect(task.runCount).toBe(1);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('on SIGTERM refuses new connections but lets an in-flight request finish, then exits 0', async () => {
    const port = await freePort();
    const run = start({ PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: path.join(tmp, 'inflight.db'), LOG_LEVEL: 'info' });
    await waitFor(() => run.stdout().includes('CodeSpar API listening'), 'listening', run);

    const body = JSON.stringify({ name: 'In Flight' });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/orgs', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 5));
      // The rest of the body arrives only after the signal.
      setTimeout(() => {
        run.child.kill('SIGTERM');
        waitFor(() => run.stdout().includes('shutting down'), 'shutdown', run)
          .then(() => fetch(`http://127.0.0.1:${port}/health`).then(
            () => reject(new Error('a new connection was accepted during shutdown')),
            () => req.end(body.slice(5)),
          ))
          .catch(reject);
      }, 500);
    });
    const res = await response;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ id: 'org-in-flight' });
    expect(await run.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('exits 1 with a log line when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const run = start({ PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: path.join(tmp, 'taken.db'), LOG_LEVEL: 'info' });
      expect((await run.exited).code).toBe(1);
      expect(run.stdout()).toContain('EADDRINUSE');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  }, 30_000);
});
