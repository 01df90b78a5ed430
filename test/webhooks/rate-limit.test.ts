import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf, deliver, linkRepo, push } from './fixtures.js';

let t: TestApp;
afterEach(() => t.close());

const RATE_LIMITED = { error: 'Too many requests, please retry later', code: 'RATE_LIMITED', status: 429 };

const expectLimited = (res: { status: number; body: unknown; headers: Record<string, string> }) => {
  expect(res.status).toBe(429);
  expect(res.body).toEqual(RATE_LIMITED);
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['ratelimit-policy']).toBeDefined();
  expect(res.headers['x-api-version']).toBe('v1');
};

describe('the webhook rate limit (WEBHOOK_RATE_LIMIT_MAX)', () => {
  it('answers 429 RATE_LIMITED with Retry-After once the budget is spent, whatever the earlier outcomes', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '4' } });
    await deliver(t, null, push()).expect(400);
    await deliver(t, 'push', '{bad').expect(400);
    await deliver(t, 'ping', {}).expect(200);
    await t.api().get('/webhooks/github').expect(405);
    expectLimited(await deliver(t, 'ping', {}));
  });

  it('counts refused signatures against the budget', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '2', GITHUB_WEBHOOK_SECRET: 's' } });
    await deliver(t, 'ping', {}).expect(401);
    await deliver(t, 'ping', {}, { secret: 'wrong' }).expect(401);
    expectLimited(await deliver(t, 'ping', {}, { secret: 's' }));
  });

  it('shares one budget between /webhooks/github and /v1/webhooks/github', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '2' } });
    await deliver(t, 'ping', {}).expect(200);
    await deliver(t, 'ping', {}, { path: '/v1/webhooks/github' }).expect(200);
    expectLimited(await deliver(t, 'ping', {}));
    expectLimited(await deliver(t, 'ping', {}, { path: '/v1/webhooks/github' }));
  });

  it('processes nothing once limited', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '1' } });
    await linkRepo(t);
    await deliver(t, 'push', push()).expect(200);
    const audit = (await auditOf(t)).length;
    expectLimited(await deliver(t, 'push', push()));
    expect(await auditOf(t)).toHaveLength(audit);
  });

  it('lifts the limit with 0', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '0' } });
    for (let i = 0; i < 40; i++) await deliver(t, 'ping', {}).expect(200);
  });
});

describe('the webhook and /api budgets are separate', () => {
  it('a spent webhook budget leaves /api open', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '1', RATE_LIMIT_MAX: '2' } });
    await deliver(t, 'ping', {}).expect(200);
    expectLimited(await deliver(t, 'ping', {}));
    await t.api().get('/api/agents').expect(200);
    await t.api().get('/v1/api/agents').expect(200);
  });

  it('a spent /api budget leaves webhooks open', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '2', RATE_LIMIT_MAX: '1' } });
    await t.api().get('/api/agents').expect(200);
    expectLimited(await t.api().get('/api/agents'));
    await deliver(t, 'ping', {}).expect(200);
    await deliver(t, 'ping', {}, { path: '/v1/webhooks/github' }).expect(200);
  });
});
