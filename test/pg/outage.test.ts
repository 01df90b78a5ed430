import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../helpers/embedded-pg.js';
import { createPostgresEngine } from '../../src/db/postgres/engine.js';
import { deliver, linkRepo, push } from '../webhooks/fixtures.js';

let server: EmbeddedServer | undefined;
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close().catch(() => undefined);
  await server?.stop();
  t = server = undefined;
});

const UNAVAILABLE = { error: 'The database is unavailable; retry shortly', code: 'DATABASE_UNAVAILABLE', status: 503 };

/** A test app over a PostgreSQL server of its own (this test stops and starts it). */
async function appOnItsOwnServer(env: Record<string, string>): Promise<TestApp> {
  server = await startEmbeddedPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE DATABASE outage');
  await admin.end();
  const url = server.url.replace(/\/postgres$/, '/outage');
  return makeTestApp({ engine: await createPostgresEngine({ url, poolMax: 2 }), env });
}

describe('PostgreSQL lost while the server runs', () => {
  it('answers 503 DATABASE_UNAVAILABLE and /health degraded while it is gone, then serves and reports ok once it is back, without a restart', async () => {
    t = await appOnItsOwnServer({ SCHEDULER_ENABLED: 'true' });
    await t.api().post('/api/agents').send({ name: 'Before', type: 'task' }).expect(201);
    await t.services.scheduler.fire('health-check');
    expect((await t.api().get('/health').expect(200)).body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok', engine: 'postgres' } } });

    await server!.pause();
    const refused = await t.api().get('/api/agents').expect(503);
    expect(refused.body).toEqual(UNAVAILABLE);
    expect(refused.headers['retry-after']).toBe('5');
    expect((await t.api().post('/api/agents').send({ name: 'During', type: 'task' }).expect(503)).body).toEqual(UNAVAILABLE);
    // The scheduled check finds it gone (its own run cannot be recorded); /health still answers.
    expect(await t.services.scheduler.fire('health-check')).toMatchObject({ name: 'health-check', ok: false });
    const down = (await t.api().get('/health').expect(200)).body;
    expect(down).toMatchObject({ status: 'degraded', checks: { database: { status: 'degraded', error: 'Database query failed', engine: 'postgres' } } });
    expect(JSON.stringify(down)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|password|pool/i);

    await server!.resume();
    await t.api().post('/api/agents').send({ name: 'After', type: 'task' }).expect(201);
    const names = (await t.api().get('/api/agents').expect(200)).body.map((a: { name: string }) => a.name);
    expect(names).toEqual(['Before', 'After']);
    expect(await t.services.scheduler.fire('health-check')).toMatchObject({ name: 'health-check', ok: true });
    expect((await t.api().get('/health').expect(200)).body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok', engine: 'postgres' } } });
  }, 60_000);

  it('answers every webhook delivery of a burst 503 while it is gone, records none of them, and processes them once it is back', async () => {
    t = await appOnItsOwnServer({ GITHUB_WEBHOOK_SECRET: 's' });
    await linkRepo(t, undefined, { level: 3 });
    const app = t;
    const burst = () => Promise.all(Array.from({ length: 8 }, (_, i) => deliver(app, 'push', push({ messages: [`commit ${i}`] }), { id: `outage-${i}`, secret: 's' })));

    await server!.pause();
    const refused = await burst();
    expect(refused.map((r) => [r.status, r.body.code, r.headers['retry-after']])).toEqual(Array(8).fill([503, 'DATABASE_UNAVAILABLE', '5']));

    await server!.resume();
    const processed = await burst();
    expect(processed.map((r) => [r.status, r.body.processed])).toEqual(Array(8).fill([200, true]));
  }, 60_000);
});
