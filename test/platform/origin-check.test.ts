import { countRows, tableSnapshot } from '../helpers/engine-db.js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { dbSnapshot } from '../reliability/support.js';

const DASHBOARD = 'https://dash.example';
const EVIL = 'https://evil.example';
const REFUSED = {
  error: 'Cross-site request refused: this Origin is not allowed to change anything',
  code: 'ORIGIN_NOT_ALLOWED',
  status: 403,
};

let t: TestApp;
afterEach(() => t.close());

const task = async (name: string) => (await t.api().get(`/api/scheduler/${name}`).expect(200)).body as { enabled: boolean };

describe('cross-site state changes with CORS_ORIGINS set to a list', () => {
  it('refuses a bodiless POST from another origin (a "simple" request, no preflight) and changes nothing', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: DASHBOARD } });
    const before = await tableSnapshot(t);
    for (const path of ['/api/scheduler/audit-cleanup/pause', '/v1/api/scheduler/audit-cleanup/pause']) {
      const res = await t.api().post(path).set('Origin', EVIL).expect(403);
      expect(res.body).toEqual(REFUSED);
    }
    expect(await task('audit-cleanup')).toMatchObject({ enabled: true });
    expect(await tableSnapshot(t)).toEqual(before);
  });

  it.each(['post', 'put', 'patch', 'delete'] as const)('refuses %s from another origin, on known and unknown paths alike', async (method) => {
    t = await makeTestApp({ env: { CORS_ORIGINS: `${DASHBOARD}, https://other.example` } });
    const before = await tableSnapshot(t);
    for (const path of ['/api/orgs', '/api/scheduler/build-status-report', '/api/nowhere']) {
      const res = await t.api()[method](path).set('Origin', EVIL).send({ name: 'Cross' });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toEqual(REFUSED);
    }
    expect(await tableSnapshot(t)).toEqual(before);
  });

  it('refuses the literal Origin "null" (sandboxed frames, file: pages) and a near miss of an allowed origin', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: DASHBOARD } });
    for (const origin of ['null', 'https://dash.example.evil.example', 'http://dash.example', `${DASHBOARD}:8443`, 'HTTPS://DASH.EXAMPLE']) {
      const res = await t.api().post('/api/orgs').set('Origin', origin).send({ name: 'Sneaky' });
      expect(res.body, origin).toEqual(REFUSED);
    }
    expect((await t.api().get('/api/orgs').expect(200)).body).toHaveLength(1);
  });

  it('lets the allowed origin and requests without Origin (curl, CI) through', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: `${DASHBOARD},https://other.example` } });
    await t.api().post('/api/scheduler/audit-cleanup/pause').set('Origin', DASHBOARD).expect(200);
    await t.api().post('/api/scheduler/audit-cleanup/resume').expect(200);
    await t.api().post('/api/orgs').set('Origin', 'https://other.example').send({ name: 'Listed' }).expect(201);
    expect(await task('audit-cleanup')).toMatchObject({ enabled: true });
  });

  it('never refuses reads or preflights from another origin (CORS decides what the page may read)', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: DASHBOARD } });
    const read = await t.api().get('/api/scheduler').set('Origin', EVIL).expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    await t.api().options('/api/orgs').set('Origin', EVIL).set('Access-Control-Request-Method', 'POST').expect(204);
  });

  it('refuses before the token, the body and the idempotency key are looked at', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: DASHBOARD, API_TOKENS: 'tok-ops:*' } });
    const noToken = await t.api().post('/api/orgs').set('Origin', EVIL).send({ name: 'X' });
    expect(noToken.body).toEqual(REFUSED);
    const badJson = await t.api().post('/api/orgs').set({ Origin: EVIL, Authorization: 'Bearer tok-ops' }).type('json').send('{oops');
    expect(badJson.body).toEqual(REFUSED);
    const keyed = await t.api().post('/api/orgs').set({ Origin: EVIL, Authorization: 'Bearer tok-ops', 'Idempotency-Key': 'k1' }).send({ name: 'Keyed' });
    expect(keyed.body).toEqual(REFUSED);
    expect(await countRows(t, 'idempotency_keys')).toBe(0);
    // The same key from the dashboard runs for real: nothing was kept from the refused request.
    const ok = await t.api().post('/api/orgs').set({ Origin: DASHBOARD, Authorization: 'Bearer tok-ops', 'Idempotency-Key': 'k1' }).send({ name: 'Keyed' }).expect(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });

  it('checks nothing when CORS_ORIGINS is * (the default)', async () => {
    t = await makeTestApp();
    await t.api().post('/api/scheduler/audit-cleanup/pause').set('Origin', EVIL).expect(200);
  });

  it('leaves webhooks alone: GitHub sends no Origin, and its deliveries are not under /api', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: DASHBOARD } });
    await t.api().post('/webhooks/github').set({ 'X-GitHub-Event': 'ping', Origin: EVIL }).send({ zen: 'hi' }).expect(200);
  });
});
