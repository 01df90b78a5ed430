import { spawn } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, buildServer, json, printed, startServer, type ServerProcess } from '../reliability/server-process.js';
import { migratedDatabase, pool } from './support.js';

// SECRETS_KEY as the compiled server sees it at start-up over PostgreSQL: the sealing pass on
// plain secrets, and the refusal to start under another key or none.

const KEY_A = 'first-secrets-key-of-32-characters!';
const KEY_B = 'other-secrets-key-of-32-characters!';
const running: ServerProcess[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await s.exited;
  }
});
beforeAll(() => buildServer(), 120_000);

const ENV = { SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'info', DATABASE_POOL_MAX: '2' };

async function up(env: Record<string, string>): Promise<ServerProcess> {
  const s = await startServer({ ...ENV, ...env });
  running.push(s);
  return s;
}
async function stop(s: ServerProcess): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
}

function startToExit(env: Record<string, string>): Promise<{ code: number | null; out: string; stderr: string }> {
  const child = spawn(process.execPath, ['dist/server.js'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...ENV, ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out: stdout + stderr, stderr })));
}

describe('SECRETS_KEY at start-up on PostgreSQL', () => {
  it('seals plain secrets when started with a key, then refuses another key or none with one line, and opens with the right one', async () => {
    const db = await migratedDatabase();
    const stored = async () => (await pool(db.url, 1).query<{ secret: string }>('SELECT secret FROM org_webhook_secrets')).rows[0]!.secret;

    const plain = await up({ DATABASE_URL: db.url });
    await json(`${plain.url}/api/orgs`, { method: 'POST', body: JSON.stringify({ name: 'Acme' }) });
    const secret = (await json(`${plain.url}/api/webhooks/secret`, { method: 'POST', headers: { 'x-org-id': 'org-acme' } })).body.secret as string;
    await stop(plain);
    expect(await stored()).toBe(secret);

    const keyed = await up({ DATABASE_URL: db.url, SECRETS_KEY: KEY_A });
    expect(await printed(keyed, 'stored secrets encrypted')).toContain('stored secrets encrypted with SECRETS_KEY');
    await stop(keyed);
    expect(await stored()).toMatch(/^enc:v1:/);

    const wrong = await startToExit({ DATABASE_URL: db.url, SECRETS_KEY: KEY_B });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toEqual(['Invalid configuration: SECRETS_KEY does not decrypt these stored secrets (sealed with another key): webhook secret of org-acme']);
    const none = await startToExit({ DATABASE_URL: db.url });
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toEqual(['Invalid configuration: SECRETS_KEY is not set, but these stored secrets are encrypted: webhook secret of org-acme']);
    for (const run of [wrong, none]) {
      for (const hidden of [secret, KEY_A, KEY_B, db.url]) expect(run.out).not.toContain(hidden);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }

    const again = await up({ DATABASE_URL: db.url, SECRETS_KEY: KEY_A });
    expect((await json(`${again.url}/api/webhooks`, { headers: { 'x-org-id': 'org-acme' } })).body.secretConfigured).toBe(true);
  }, 60_000);
});
