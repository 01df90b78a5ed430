import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { parseSamples, valueOf, type Sample } from '../helpers/prometheus.js';

let apps: TestApp[] = [];
const app = async (env: Record<string, string> = {}): Promise<TestApp> => {
  const t = await makeTestApp({ env });
  apps.push(t);
  return t;
};
afterEach(async () => {
  for (const t of apps) await t.close();
  apps = [];
});

async function scrape(t: TestApp, token?: string): Promise<Sample[]> {
  const req = t.api().get('/metrics');
  if (token) req.set('authorization', `Bearer ${token}`);
  const res = await req.expect(200);
  return parseSamples(res.text);
}

describe('GET /metrics', () => {
  it('answers the Prometheus text format with the default process metrics and every documented metric', async () => {
    const t = await app();
    const res = await t.api().get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['x-api-version']).toBe('v1');
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'http_requests_total',
      'http_request_duration_seconds',
      'webhook_deliveries_total',
      'audit_entries_appended_total',
      'scheduler_runs_total',
      'event_streams_open',
      'rate_limited_total',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    const samples = parseSamples(res.text);
    expect(valueOf(samples, 'event_streams_open')).toBe(0);
    expect(valueOf(samples, 'rate_limited_total', { budget: 'api' })).toBe(0);
  });

  it('is not served under /api or /v1/api', async () => {
    const t = await app();
    expectError(await t.api().get('/api/metrics'), 404, 'NOT_FOUND');
    expectError(await t.api().get('/v1/api/metrics'), 404, 'NOT_FOUND');
  });

  it('answers 405 with Allow for another method', async () => {
    const t = await app();
    const res = await t.api().post('/metrics');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('keeps one registry per app: counts of one app never show in another', async () => {
    const a = await app();
    const b = await app();
    await a.api().get('/api/agents').expect(200);
    await a.api().get('/api/agents').expect(200);
    expect(valueOf(await scrape(a), 'http_requests_total', { method: 'GET', route: '/api/agents', status: '200' })).toBe(2);
    expect(valueOf(await scrape(b), 'http_requests_total', { method: 'GET', route: '/api/agents', status: '200' })).toBe(0);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789';

  it('answers 401 UNAUTHORIZED without a bearer token', async () => {
    const t = await app({ METRICS_TOKEN: token });
    const res = await t.api().get('/metrics');
    expectError(res, 401, 'UNAUTHORIZED', 'Missing or invalid metrics token');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
  });

  it.each([
    ['a wrong token', `Bearer ${token}x`],
    ['a prefix of the token', `Bearer ${token.slice(0, 10)}`],
    ['another scheme', `Basic ${token}`],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 UNAUTHORIZED with %s', async (_name, authorization) => {
    const t = await app({ METRICS_TOKEN: token });
    expectError(await t.api().get('/metrics').set('authorization', authorization), 401, 'UNAUTHORIZED');
  });

  it('answers 200 with the right token', async () => {
    const t = await app({ METRICS_TOKEN: token });
    expect(valueOf(await scrape(t, token), 'event_streams_open')).toBe(0);
  });

  it('does not accept an API token in its place, nor need one when only API_TOKENS is set', async () => {
    const guarded = await app({ METRICS_TOKEN: token, API_TOKENS: 'api-token-1:*' });
    expectError(await guarded.api().get('/metrics').set('authorization', 'Bearer api-token-1'), 401, 'UNAUTHORIZED');
    const open = await app({ API_TOKENS: 'api-token-1:*' });
    await open.api().get('/metrics').expect(200);
  });
});

describe('GET /metrics: not rate-limited', () => {
  it('answers every scrape while the API budget is spent, and counts the refusals by budget', async () => {
    const t = await app({ RATE_LIMIT_MAX: '1', WEBHOOK_RATE_LIMIT_MAX: '1' });
    await t.api().get('/api/agents').expect(200);
    expectError(await t.api().get('/api/agents'), 429, 'RATE_LIMITED');
    expectError(await t.api().get('/v1/api/agents'), 429, 'RATE_LIMITED');
    await t.api().post('/webhooks/github').set('x-github-event', 'ping').send({ zen: 'a' }).expect(200);
    expectError(await t.api().post('/webhooks/github').set('x-github-event', 'ping').send({ zen: 'b' }), 429, 'RATE_LIMITED');
    for (let i = 0; i < 5; i++) await t.api().get('/metrics').expect(200);
    const samples = await scrape(t);
    expect(valueOf(samples, 'rate_limited_total', { budget: 'api' })).toBe(2);
    expect(valueOf(samples, 'rate_limited_total', { budget: 'webhooks' })).toBe(1);
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: '/api/agents', status: '429' })).toBe(2);
  });
});
