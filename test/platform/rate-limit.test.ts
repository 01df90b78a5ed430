import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';

// The webhook budget (WEBHOOK_RATE_LIMIT_MAX, separate from /api's) is tested with the
// webhook route, which lands with the webhooks domain.

let t: TestApp;
const open = async (env: Record<string, string>) => (t = await makeTestApp({ env }));
afterEach(() => t?.close());

describe('rate limit on /api', () => {
  it('answers 429 RATE_LIMITED with the error body, Retry-After and RateLimit headers past the budget', async () => {
    await open({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' });
    const ok = await t.api().get('/api/orgs').expect(200);
    expect(ok.headers['ratelimit-policy']).toBeDefined();
    await t.api().get('/api/orgs').expect(200);

    const res = await t.api().get('/api/orgs');
    expectError(res, 429, 'RATE_LIMITED');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers['ratelimit']).toMatch(/r=0/);
    expect(res.headers['ratelimit-policy']).toMatch(/q=2/);
    expect(res.headers['ratelimit-policy']).toMatch(/w=60/);
  });

  it('counts requests that end in errors too, and limits writes', async () => {
    await open({ RATE_LIMIT_MAX: '2' });
    await t.api().get('/api/nothing').expect(404);
    await t.api().get('/api/orgs/org-missing').expect(404);
    expectError(await t.api().post('/api/orgs').send({ name: 'Late' }), 429, 'RATE_LIMITED');
    const orgs = await makeTestApp({ engine: t.deps.engine });
    expect((await orgs.api().get('/api/orgs').expect(200)).body).toHaveLength(1);
  });

  it('shares one budget between /api and /v1/api', async () => {
    await open({ RATE_LIMIT_MAX: '2' });
    await t.api().get('/api/orgs').expect(200);
    await t.api().get('/v1/api/orgs').expect(200);
    expectError(await t.api().get('/api/orgs'), 429, 'RATE_LIMITED');
    expectError(await t.api().get('/v1/api/audit'), 429, 'RATE_LIMITED');
  });

  it('never limits /health, and /health does not spend the budget', async () => {
    await open({ RATE_LIMIT_MAX: '1' });
    for (let i = 0; i < 5; i++) await t.api().get('/health').expect(200);
    await t.api().get('/api/orgs').expect(200);
    await t.api().get('/api/orgs').expect(429);
    const health = await t.api().get('/health').expect(200);
    expect(health.headers['ratelimit']).toBeUndefined();
    await t.api().get('/v1/health').expect(200);
  });

  it('does not limit at all with RATE_LIMIT_MAX=0', async () => {
    await open({ RATE_LIMIT_MAX: '0' });
    for (let i = 0; i < 30; i++) await t.api().get('/api/orgs').expect(200);
  });

  it('gives each app its own counters', async () => {
    await open({ RATE_LIMIT_MAX: '1' });
    await t.api().get('/api/orgs').expect(200);
    const other = await makeTestApp({ env: { RATE_LIMIT_MAX: '1' } });
    try {
      await other.api().get('/api/orgs').expect(200);
    } finally {
      other.close();
    }
  });
});

describe('TRUST_PROXY', () => {
  it('with a hop count, gives two X-Forwarded-For clients separate budgets', async () => {
    await open({ RATE_LIMIT_MAX: '1', TRUST_PROXY: '1' });
    await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.2').expect(200);
    expectError(await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.1'), 429, 'RATE_LIMITED');
    expectError(await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.2'), 429, 'RATE_LIMITED');
    await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.3').expect(200);
  });

  it('without it, ignores X-Forwarded-For: every client shares the socket address budget', async () => {
    await open({ RATE_LIMIT_MAX: '1' });
    await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.1').expect(200);
    expectError(await t.api().get('/api/orgs').set('X-Forwarded-For', '203.0.113.2'), 429, 'RATE_LIMITED');
  });
});
