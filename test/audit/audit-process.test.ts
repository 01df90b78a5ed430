import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, json, ROOT, startServer, type ServerProcess } from '../reliability/server-process.js';
import { attack, KEY, rewriteFrom, tempFolder } from './tamper-support.js';

// The same attacks on real server processes: the server stopped with SIGTERM, the file edited,
// a new process started over it.

const folder = tempFolder();
const running: ServerProcess[] = [];
beforeAll(() => buildServer(), 120_000);
afterEach(async () => {
  for (const s of running.splice(0)) await stop(s);
});
afterAll(() => folder.remove());

async function stop(s: ServerProcess): Promise<void> {
  if (s.child.exitCode === null) s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
}

async function serve(file: string, key?: string): Promise<ServerProcess> {
  const s = await startServer({ DATABASE_PATH: file, LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0', SCHEDULER_ENABLED: 'false', ...(key ? { AUDIT_HMAC_KEY: key } : {}) });
  running.push(s);
  return s;
}

const verifyOf = async (s: ServerProcess) => (await json(`${s.url}/api/audit/verify`, { headers: { 'x-org-id': 'org-acme' } })).body;

describe('audit seals across real server processes', () => {
  it('a rewrite of the stopped server\'s file that recomputes every hash and digest is caught by a server holding the key', async () => {
    const file = folder.file();
    const first = await serve(file, KEY);
    expect((await json(`${first.url}/api/orgs`, { method: 'POST', body: JSON.stringify({ name: 'Acme' }) })).status).toBe(201);
    const headers = { 'x-org-id': 'org-acme' };
    const agent = (await json(`${first.url}/api/agents`, { method: 'POST', headers, body: JSON.stringify({ name: 'Worker', type: 'task' }) })).body;
    for (const level of [2, 4, 1]) {
      const res = await json(`${first.url}/api/agents/${agent.id}/action`, { method: 'POST', headers, body: JSON.stringify({ action: 'set_autonomy', params: { level } }) });
      expect(res.status).toBe(200);
    }
    expect(await verifyOf(first)).toEqual({ valid: true, checked: 5, brokenAt: null, keyed: true, unkeyed: 0 });
    const entries = (await json(`${first.url}/api/audit?order=asc`, { headers })).body.entries as Array<{ id: string }>;
    await stop(running.pop()!);

    // The boundary between actorId and action moved on the first autonomy change, every
    // hash and digest after it recomputed: nothing a check without the key can see.
    attack(file, (db) => rewriteFrom(db, 'org-acme', 3, (d, seq) => d.prepare("UPDATE audit_entries SET actor_id = 'apiautonomy', action = '_change' WHERE seq = ?").run(seq)));
    const keyless = await serve(file);
    expect(await verifyOf(keyless)).toEqual({ valid: true, checked: 5, brokenAt: null, keyed: false, unkeyed: 5 });
    await stop(running.pop()!);

    const keyed = await serve(file, KEY);
    expect(await verifyOf(keyed)).toEqual({ valid: false, checked: 5, brokenAt: entries[2]!.id, keyed: true, unkeyed: 0 });
  });

  it('refuses to start with an AUDIT_HMAC_KEY shorter than 32 characters, in one line that does not echo it', async () => {
    const child = spawn(process.execPath, ['dist/server.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: folder.file(), AUDIT_HMAC_KEY: 'short-secret-value' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual(['Invalid configuration: AUDIT_HMAC_KEY must be at least 32 characters']);
    expect(stderr).not.toContain('short-secret-value');
  });
});
