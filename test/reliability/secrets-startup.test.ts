import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, buildServer, json, printed, startServer, type ServerProcess } from './server-process.js';

/** SECRETS_KEY as the compiled server sees it at start-up: warning, sealing pass, refusal. */
const KEY_A = 'first-secrets-key-of-32-characters!';
const KEY_B = 'other-secrets-key-of-32-characters!';

let dir: string;
const running: ServerProcess[] = [];

beforeAll(() => {
  buildServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-secrets-key-'));
}, 120_000);
afterAll(async () => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const envFor = (file: string, extra: Record<string, string> = {}) => ({ DATABASE_PATH: path.join(dir, file), SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'info', ...extra });

async function up(env: Record<string, string>): Promise<ServerProcess> {
  const s = await startServer(env);
  running.push(s);
  return s;
}

async function stop(s: ServerProcess): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
}

/** A start that must fail: its exit code and what it printed. */
function startToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['dist/server.js'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout })));
}

/** An org with a webhook secret; returns the secret. */
async function rotate(s: ServerProcess): Promise<string> {
  await json(`${s.url}/api/orgs`, { method: 'POST', body: JSON.stringify({ name: 'Acme' }) });
  return (await json(`${s.url}/api/webhooks/secret`, { method: 'POST', headers: { 'x-org-id': 'org-acme' } })).body.secret as string;
}

const storedSecret = (file: string) => {
  const db = new Database(path.join(dir, file), { readonly: true });
  try {
    return db.prepare('SELECT secret FROM org_webhook_secrets').pluck().get() as string;
  } finally {
    db.close();
  }
};

describe('SECRETS_KEY at start-up', () => {
  it('warns once that secrets are stored in plain text when it is unset', async () => {
    const s = await up(envFor('plain.db'));
    expect((await printed(s, 'SECRETS_KEY is not set')).match(/SECRETS_KEY is not set: channel settings and org webhook secrets are stored in plain text/g)).toHaveLength(1);
    await stop(s);
    const keyed = await up(envFor('keyed.db', { SECRETS_KEY: KEY_A }));
    expect(keyed.output()).not.toContain('SECRETS_KEY is not set');
    await stop(keyed);
  });

  it('seals secrets stored in plain text when the server starts with a key', async () => {
    const plain = await up(envFor('upgrade.db'));
    const secret = await rotate(plain);
    await stop(plain);
    expect(storedSecret('upgrade.db')).toBe(secret);

    const keyed = await up(envFor('upgrade.db', { SECRETS_KEY: KEY_A }));
    expect(await printed(keyed, 'stored secrets encrypted')).toContain('stored secrets encrypted with SECRETS_KEY');
    const info = await json(`${keyed.url}/api/webhooks`, { headers: { 'x-org-id': 'org-acme' } });
    expect(info.body.secretConfigured).toBe(true);
    await stop(keyed);
    expect(storedSecret('upgrade.db')).toMatch(/^enc:v1:/);
    expect(fs.readFileSync(path.join(dir, 'upgrade.db')).includes(secret)).toBe(false);
  });

  it('refuses to start, with one line and exit 1, under another key or no key once secrets are sealed', async () => {
    const keyed = await up(envFor('sealed.db', { SECRETS_KEY: KEY_A }));
    const secret = await rotate(keyed);
    await stop(keyed);

    const wrong = await startToExit(envFor('sealed.db', { SECRETS_KEY: KEY_B }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toEqual(['Invalid configuration: SECRETS_KEY does not decrypt these stored secrets (sealed with another key): webhook secret of org-acme']);
    const none = await startToExit(envFor('sealed.db'));
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toEqual(['Invalid configuration: SECRETS_KEY is not set, but these stored secrets are encrypted: webhook secret of org-acme']);
    for (const out of [wrong, none]) {
      expect(out.stderr + out.stdout).not.toContain(secret);
      expect(out.stderr + out.stdout).not.toContain(KEY_A);
      expect(out.stderr + out.stdout).not.toContain(KEY_B);
      expect(out.stderr).not.toMatch(/^\s+at /m);
    }
    // The right key still opens it.
    const again = await up(envFor('sealed.db', { SECRETS_KEY: KEY_A }));
    expect((await json(`${again.url}/api/webhooks`, { headers: { 'x-org-id': 'org-acme' } })).body.secretConfigured).toBe(true);
    await stop(again);
  });

  it('refuses a key shorter than 32 characters without echoing it', async () => {
    const short = await startToExit(envFor('short.db', { SECRETS_KEY: 'too-short-key' }));
    expect(short.code).toBe(1);
    expect(short.stderr.trim()).toBe('Invalid configuration: SECRETS_KEY must be at least 32 characters');
  });
});
