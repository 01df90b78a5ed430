import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Request } from 'express';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { parseSamples, valueOf, type Sample } from '../helpers/prometheus.js';
import { createRouteTemplates, UNMATCHED_ROUTE } from '../../src/metrics/route-template.js';

let t: TestApp;
let server: http.Server;
let base: string;
beforeAll(async () => {
  t = await makeTestApp();
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

/** A request outside the contract checker (paths and methods it does not know), over one kept-alive server. */
async function send(method: string, path: string): Promise<number> {
  const res = await fetch(base + path, { method });
  await res.arrayBuffer();
  return res.status;
}

const scrape = async (): Promise<Sample[]> => parseSamples((await t.api().get('/metrics').expect(200)).text);
const routesOf = (samples: Sample[]): Set<string> =>
  new Set(samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route!));

describe('http_requests_total and http_request_duration_seconds labels', () => {
  it('label a request with its route template, /v1/api and /api as one series, errors included', async () => {
    const before = await scrape();
    const labels = { method: 'GET', route: '/api/agents/:id', status: '404' };
    await t.api().get('/api/agents/agent-task-nope').expect(404);
    await t.api().get('/v1/api/agents/agent-task-other').expect(404);
    expect(await send('GET', '/API/Agents/agent-task-upper')).toBe(404);
    const after = await scrape();
    expect(valueOf(after, 'http_requests_total', labels) - valueOf(before, 'http_requests_total', labels)).toBe(3);
    expect(valueOf(after, 'http_request_duration_seconds_count', labels) - valueOf(before, 'http_request_duration_seconds_count', labels)).toBe(3);
    expect(valueOf(after, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(valueOf(after, 'http_request_duration_seconds_count', labels));
  });

  it('label requests refused before routing (bad org, 405, preflight) with the template of their path', async () => {
    await t.api().get('/api/agents').set('x-org-id', 'Not An Org!').expect(400);
    await t.api().delete('/api/agent-types').expect(405);
    await t.api().options('/v1/api/projects').set('origin', 'https://dash.example').set('access-control-request-method', 'POST').expect(204);
    const samples = await scrape();
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: '/api/agents', status: '400' })).toBe(1);
    expect(valueOf(samples, 'http_requests_total', { method: 'DELETE', route: '/api/agent-types', status: '405' })).toBe(1);
    expect(valueOf(samples, 'http_requests_total', { method: 'OPTIONS', route: '/api/projects', status: '204' })).toBe(1);
  });

  it('label the routes outside /api with their own templates', async () => {
    await t.api().get('/health').expect(200);
    await t.api().get('/v1/health').expect(200);
    await t.api().post('/webhooks/github/default').set('x-github-event', 'ping').send({}).expect(401);
    await t.api().post('/v1/webhooks/github').set('x-github-event', 'ping').send({ zen: 'z' }).expect(200);
    await t.api().get('/openapi.json').expect(200);
    const samples = await scrape();
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBe(2);
    expect(valueOf(samples, 'http_requests_total', { method: 'POST', route: '/webhooks/github/:orgId', status: '401' })).toBe(1);
    expect(valueOf(samples, 'http_requests_total', { method: 'POST', route: '/webhooks/github', status: '200' })).toBe(1);
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: '/openapi.json', status: '200' })).toBe(1);
    expect(routesOf(samples).has('/metrics')).toBe(true);
  });

  it('keep the label set bounded: 1,000 distinct raw paths add at most a few series, and no raw path shows', async () => {
    const before = routesOf(await scrape());
    const seen = Array.from({ length: 1000 }, (_, i) => {
      const kind = i % 4;
      return kind === 0 ? `/api/nothing-${i}` : kind === 1 ? `/x${i}/y` : kind === 2 ? `/api/agents/agent-task-${i}` : `/v1/api/orgs/org-${i}`;
    });
    for (let i = 0; i < seen.length; i += 50) await Promise.all(seen.slice(i, i + 50).map((p) => send('GET', p)));
    const samples = await scrape();
    const after = routesOf(samples);
    const added = [...after].filter((r) => !before.has(r));
    expect(added.length).toBeLessThanOrEqual(3);
    expect(after.has(UNMATCHED_ROUTE)).toBe(true);
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status: '404' })).toBe(500);
    const text = (await t.api().get('/metrics').expect(200)).text;
    for (const p of [seen[0]!, seen[1]!, seen[2]!, seen[3]!, seen[998]!]) expect(text).not.toContain(p);
    const series = samples.filter((s) => s.name === 'http_requests_total').length;
    expect(series).toBeLessThan(40);
  });

  it('give methods outside the API one label', async () => {
    expect(await send('PROPFIND', '/api/agents')).toBe(405);
    const samples = await scrape();
    expect(samples.some((s) => s.name === 'http_requests_total' && s.labels.method === 'OTHER')).toBe(true);
    expect(samples.some((s) => s.name === 'http_requests_total' && s.labels.method === 'PROPFIND')).toBe(false);
  });
});

describe('route templates (unit)', () => {
  const templateOf = createRouteTemplates(['/api/agents', '/api/agents/:id', '/api/agents/:id/action', '/health', '/webhooks/github/:orgId']);
  const req = (originalUrl: string, route?: string | string[]): Request => ({ originalUrl, route: route === undefined ? undefined : { path: route } }) as unknown as Request;

  it('read the matched route under its mount, /v1 folded in', () => {
    expect(templateOf(req('/api/agents/a-1', '/agents/:id'))).toBe('/api/agents/:id');
    expect(templateOf(req('/v1/api/agents/a-1?x=1', '/agents/:id'))).toBe('/api/agents/:id');
    expect(templateOf(req('/v1/webhooks/github', '/'))).toBe('/webhooks/github');
    expect(templateOf(req('/v1/health', ['/health', '/v1/health']))).toBe('/health');
  });

  it('match a path no route claimed against the declared templates', () => {
    expect(templateOf(req('/api/agents/a-1/action'))).toBe('/api/agents/:id/action');
    expect(templateOf(req('/V1/API/AGENTS/'))).toBe('/api/agents');
    expect(templateOf(req('/webhooks/github/org-x?y'))).toBe('/webhooks/github/:orgId');
    expect(templateOf(req('/api/agents/a/b/c'))).toBe(UNMATCHED_ROUTE);
  });

  it('name only declared templates or unmatched, whatever the path (property)', () => {
    const known = new Set(['/api/agents', '/api/agents/:id', '/api/agents/:id/action', '/health', '/webhooks/github/:orgId', UNMATCHED_ROUTE]);
    const segment = fc.oneof(fc.constantFrom('api', 'v1', 'agents', 'health', 'webhooks', 'github', '', '..', '%2e', '%zz'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.string({ maxLength: 10 }), (parts, tail) => {
        expect(known.has(templateOf(req(`/${parts.join('/')}${tail}`)))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
