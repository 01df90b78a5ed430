import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
afterEach(() => t?.close());

const list = (h: string | undefined) => (h ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);

const preflight = (path: string, origin = 'https://dash.example') =>
  t
    .api()
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'PATCH')
    .set('Access-Control-Request-Headers', 'content-type,x-org-id');

describe('CORS preflight', () => {
  it('answers 204 allowing the methods and headers of the contract', async () => {
    t = await makeTestApp();
    for (const path of ['/api/orgs', '/v1/api/orgs/default']) {
      const res = await preflight(path).expect(204);
      expect(res.text).toBe('');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(list(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'post', 'put', 'patch', 'delete']));
      expect(list(res.headers['access-control-allow-headers'])).toEqual(
        expect.arrayContaining(['content-type', 'x-org-id', 'x-actor-id', 'authorization', 'idempotency-key']),
      );
      expect(res.headers['x-api-version']).toBe('v1');
      expect(res.headers['x-request-id']).toBeTruthy();
    }
  });

  it('is not spent from the rate-limit budget', async () => {
    t = await makeTestApp({ env: { RATE_LIMIT_MAX: '1' } });
    for (let i = 0; i < 3; i++) await preflight('/api/orgs').expect(204);
    await t.api().get('/api/orgs').expect(200);
  });
});

describe('CORS on normal responses', () => {
  it('exposes the version, request id and rate-limit headers', async () => {
    t = await makeTestApp();
    const res = await t.api().get('/api/orgs').set('Origin', 'https://dash.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(list(res.headers['access-control-expose-headers'])).toEqual(
      expect.arrayContaining(['x-api-version', 'x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy']),
    );
  });

  it('carries CORS headers on errors too, so a dashboard can read them', async () => {
    t = await makeTestApp();
    const res = await t.api().get('/api/orgs/org-none').set('Origin', 'https://dash.example').expect(404);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('CORS_ORIGINS list', () => {
  const env = { CORS_ORIGINS: 'https://a.example, https://b.example' };

  it('echoes an allowed origin', async () => {
    t = await makeTestApp({ env });
    const res = await t.api().get('/api/orgs').set('Origin', 'https://b.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://b.example');
    expect(list(res.headers.vary)).toContain('origin');
    const pre = await preflight('/api/orgs', 'https://a.example').expect(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://a.example');
  });

  it('does not allow another origin', async () => {
    t = await makeTestApp({ env });
    const res = await t.api().get('/api/orgs').set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await preflight('/api/orgs', 'https://evil.example');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });
});
