import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, freePort, json, ROOT, startServer, type ServerProcess } from '../reliability/server-process.js';
import { migratedDatabase } from './support.js';
import { freshEmptyDatabase } from '../helpers/pg.js';

// Real `node dist/server.js` processes over one PostgreSQL database.

const running: ServerProcess[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    s.child.kill('SIGTERM');
    await s.exited;
  }
});
beforeAll(() => buildServer(), 120_000);

const ENV = { LOG_LEVEL: 'silent', SCHEDULER_ENABLED: 'false', RATE_LIMIT_MAX: '0', DATABASE_POOL_MAX: '3' };

describe('server processes on PostgreSQL', () => {
  it('three started at once against an empty database migrate it once and serve one API', async () => {
    const db = await freshEmptyDatabase();
    try {
      const servers = await Promise.all([0, 1, 2].map(() => startServer({ ...ENV, DATABASE_URL: db.url })));
      running.push(...servers);
      for (const s of servers) {
        const { body } = await json(`${s.url}/health`);
        expect(body.checks.database).toEqual({ status: 'ok', engine: 'postgres' });
      }
      const created = await json(`${servers[0]!.url}/api/orgs`, { method: 'POST', body: JSON.stringify({ name: 'Acme' }) });
      expect(created.status).toBe(201);
      for (const s of servers) expect((await json(`${s.url}/api/orgs/org-acme`)).status).toBe(200);
      const memory = await json(`${servers[1]!.url}/api/memory`);
      expect(memory.body.vectorStore.backend).toBe('postgres');
    } finally {
      for (const s of running.splice(0)) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
      await db.drop();
    }
  });

  it('keeps what it wrote across a restart', async () => {
    const db = await migratedDatabase();
    const first = await startServer({ ...ENV, DATABASE_URL: db.url });
    running.push(first);
    expect((await json(`${first.url}/api/agents`, { method: 'POST', body: JSON.stringify({ name: 'Kept', type: 'task' }) })).status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    running.splice(0);
    const second = await startServer({ ...ENV, DATABASE_URL: db.url });
    running.push(second);
    const { body } = await json(`${second.url}/api/agents`);
    expect(body.map((a: { name: string }) => a.name)).toEqual(['Kept']);
    expect((await json(`${second.url}/api/audit/verify`)).body.valid).toBe(true);
  }, 60_000);

  it('stops with one line naming the host when PostgreSQL cannot be reached, after its retries', async () => {
    const port = await freePort();
    const run = spawnSync(process.execPath, ['dist/server.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...ENV, PORT: '0', DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${port}/codespar` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port}/codespar is unreachable after 10 attempts`));
    expect(run.stderr + run.stdout).not.toContain('s3cret');
  }, 60_000);
});
