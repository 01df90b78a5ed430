import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import type { TestDepsOptions } from '../helpers/deps.js';
import { auditOf, deliver, linkRepo, push, workflowRun } from './fixtures.js';

const BASE = 'https://codespar.example.com';
const HOUR = 3_600_000;
const MINUTE = 60_000;
const ORG_REQUIRED = { error: 'This operation needs an organization: send x-org-id or use a token bound to an org', code: 'ORG_REQUIRED', status: 400 };
const INVALID_SIGNATURE = { error: 'Missing or invalid X-Hub-Signature-256', code: 'INVALID_SIGNATURE', status: 401 };

let t: TestApp;
afterEach(() => t.close());

async function setUp(opts: TestDepsOptions = {}) {
  t = await makeTestApp(opts);
  const acme = (await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201)).body.id as string;
  const globex = (await t.api().post('/api/orgs').send({ name: 'Globex' }).expect(201)).body.id as string;
  return { acme, globex };
}

const rotate = async (orgId: string) =>
  (await t.api().post('/api/webhooks/secret').set('x-org-id', orgId).expect(201)).body as { orgId: string; secret: string; url: string; createdAt: string };

const orgUrl = (orgId: string) => `/webhooks/github/${orgId}`;

describe('POST /api/webhooks/secret', () => {
  it('answers 201 with a fresh 32-byte secret (64 hex characters), the org URL and the time', async () => {
    const { acme } = await setUp();
    const a = await rotate(acme);
    expect(a).toEqual({ orgId: acme, secret: expect.stringMatching(/^[0-9a-f]{64}$/), url: `/webhooks/github/${acme}`, createdAt: '2026-06-01T12:00:00.000Z' });
    const b = await rotate(acme);
    expect(b.secret).not.toBe(a.secret);
  });

  it('gives the absolute org URL under WEBHOOK_BASE_URL', async () => {
    const { acme } = await setUp({ env: { WEBHOOK_BASE_URL: `${BASE}/` } });
    expect((await rotate(acme)).url).toBe(`${BASE}/webhooks/github/${acme}`);
  });

  it('answers 400 ORG_REQUIRED without an org scope, and changes nothing', async () => {
    await setUp();
    expect((await t.api().post('/api/webhooks/secret').expect(400)).body).toEqual(ORG_REQUIRED);
    expect((await t.api().post('/v1/api/webhooks/secret').expect(400)).body).toEqual(ORG_REQUIRED);
    expect((await auditOf(t, 'default', { action: 'webhook_secret_rotate' })).length).toBe(0);
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org in x-org-id', async () => {
    await setUp();
    expect((await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-nope').expect(404)).body.code).toBe('ORG_NOT_FOUND');
  });

  it('audits webhook_secret_rotate (high) in the org, with no secret in it', async () => {
    const { acme } = await setUp();
    const { secret } = await rotate(acme);
    const second = await rotate(acme);
    const entries = await auditOf(t, acme, { action: 'webhook_secret_rotate' });
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ actorType: 'user', actorId: 'api', result: 'completed', risk: 'high', metadata: { url: orgUrl(acme), previousSecretValidUntil: null } });
    expect(entries[1]!.metadata).toEqual({ url: orgUrl(acme), previousSecretValidUntil: '2026-06-01T13:00:00.000Z' });
    const text = JSON.stringify(await auditOf(t, acme));
    expect(text).not.toContain(secret);
    expect(text).not.toContain(second.secret);
  });

  it('takes the org from an org-bound token; an operator token without x-org-id is unscoped', async () => {
    t = await makeTestApp({ env: { API_TOKENS: 'tok-ops:*,tok-acme:org-acme' } });
    await t.api().post('/api/orgs').set('Authorization', 'Bearer tok-ops').send({ name: 'Acme' }).expect(201);
    const res = await t.api().post('/api/webhooks/secret').set('Authorization', 'Bearer tok-acme').expect(201);
    expect(res.body.orgId).toBe('org-acme');
    expect((await t.api().post('/api/webhooks/secret').set('Authorization', 'Bearer tok-ops').expect(400)).body).toEqual(ORG_REQUIRED);
    expect((await t.api().post('/api/webhooks/secret').set('Authorization', 'Bearer tok-acme').set('x-org-id', 'default').expect(403)).body.code).toBe('FORBIDDEN');
  });

  it('replays a keyed rotation with the same answer instead of rotating again', async () => {
    const { acme } = await setUp();
    const send = () => t.api().post('/api/webhooks/secret').set('x-org-id', acme).set('Idempotency-Key', 'rotate-1').expect(201);
    const first = await send();
    const again = await send();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await auditOf(t, acme, { action: 'webhook_secret_rotate' })).toHaveLength(1);
  });
});

describe('GET /api/webhooks', () => {
  it("describes the org's URLs, whether a secret is set, and never shows the secret", async () => {
    const { acme } = await setUp({ env: { WEBHOOK_BASE_URL: BASE } });
    const before = (await t.api().get('/api/webhooks').set('x-org-id', acme).expect(200)).body;
    expect(before).toEqual({
      orgId: acme,
      url: `${BASE}/webhooks/github/${acme}`,
      deployUrl: `${BASE}/webhooks/deploy/${acme}`,
      secretConfigured: false,
      lastDeliveryAt: null,
      deliveries24h: 0,
      events: ['push', 'pull_request', 'workflow_run', 'check_run'],
    });
    const { secret } = await rotate(acme);
    const after = await t.api().get('/v1/api/webhooks').set('x-org-id', acme).expect(200);
    expect(after.body.secretConfigured).toBe(true);
    expect(after.text).not.toContain(secret);
  });

  it('gives relative URLs without WEBHOOK_BASE_URL', async () => {
    const { acme } = await setUp();
    const body = (await t.api().get('/api/webhooks').set('x-org-id', acme).expect(200)).body;
    expect([body.url, body.deployUrl]).toEqual([`/webhooks/github/${acme}`, `/webhooks/deploy/${acme}`]);
  });

  it('answers 400 ORG_REQUIRED without an org scope', async () => {
    await setUp();
    expect((await t.api().get('/api/webhooks').expect(400)).body).toEqual(ORG_REQUIRED);
  });

  it('counts the deliveries that reached the org in the last 24 hours, and the last one', async () => {
    const { acme, globex } = await setUp();
    const { secret } = await rotate(acme);
    await linkRepo(t, 'acme/api', { org: acme });
    await deliver(t, 'push', push({ repo: 'acme/api', messages: ['one'] }), { secret, path: orgUrl(acme) }).expect(200);
    t.deps.clock.advance(2 * HOUR);
    await deliver(t, 'ping', { zen: 'hi' }, { secret, path: orgUrl(acme) }).expect(200);
    // Through the instance URL, routed to an acme project: it reached acme too.
    await deliver(t, 'push', push({ repo: 'acme/api', messages: ['two'] }), {}).expect(200);
    // Refused, duplicate or replayed deliveries are not counted.
    await deliver(t, 'ping', { zen: 'hi' }, { secret, path: orgUrl(acme) }).expect(200);
    await deliver(t, 'ping', { zen: 'x' }, { secret: 'wrong', path: orgUrl(acme) }).expect(401);
    const at = '2026-06-01T14:00:00.000Z';
    const view = async (org: string) => (await t.api().get('/api/webhooks').set('x-org-id', org).expect(200)).body;
    expect(await view(acme)).toMatchObject({ lastDeliveryAt: at, deliveries24h: 3 });
    expect(await view(globex)).toMatchObject({ lastDeliveryAt: null, deliveries24h: 0 });
    t.deps.clock.advance(23 * HOUR);
    expect(await view(acme)).toMatchObject({ lastDeliveryAt: at, deliveries24h: 2 });
    t.deps.clock.advance(2 * HOUR);
    expect(await view(acme)).toMatchObject({ lastDeliveryAt: at, deliveries24h: 0 });
  });
});

describe('POST /webhooks/github/:orgId', () => {
  it("accepts a delivery signed with the org's secret and reaches only that org's projects", async () => {
    const { acme, globex } = await setUp();
    const a = await linkRepo(t, 'shared/repo', { org: acme, level: 1 });
    await linkRepo(t, 'shared/repo', { org: globex, level: 1 });
    await linkRepo(t, 'shared/repo', { level: 1 });
    const { secret } = await rotate(acme);
    const res = await deliver(t, 'workflow_run', workflowRun({ repo: 'shared/repo' }), { secret, path: orgUrl(acme) }).expect(200);
    expect(res.body).toMatchObject({ received: true, event: 'workflow_run', processed: true, outcomes: [{ projectId: a.projectId, outcome: 'notified' }] });
    expect(res.body.outcomes).toHaveLength(1);
    expect(await auditOf(t, globex, { action: 'ci_event' })).toHaveLength(0);
    expect(await auditOf(t, 'default', { action: 'ci_event' })).toHaveLength(0);
    const v1 = await deliver(t, 'workflow_run', workflowRun({ repo: 'shared/repo', branch: 'dev' }), { secret, path: `/v1${orgUrl(acme)}` }).expect(200);
    expect(v1.body.outcomes).toHaveLength(1);
  });

  it("answers 'Repository not linked' when only other orgs linked the repo", async () => {
    const { acme, globex } = await setUp();
    await linkRepo(t, 'globex/app', { org: globex });
    const { secret } = await rotate(acme);
    const res = await deliver(t, 'push', push({ repo: 'globex/app' }), { secret, path: orgUrl(acme) }).expect(200);
    expect(res.body).toMatchObject({ processed: false, reason: 'Repository not linked' });
    expect(await auditOf(t, globex, { action: 'ci_event' })).toHaveLength(0);
  });

  it.each<[string, (own: string, other: string) => { secret?: string; headers?: Record<string, string> }]>([
    ['no signature', () => ({})],
    ['an empty signature', () => ({ headers: { 'x-hub-signature-256': '' } })],
    ['a wrong signature', () => ({ headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } })],
    ["another org's secret", (_own, other) => ({ secret: other })],
    ['the instance secret', () => ({ secret: 'instance-secret' })],
  ])('answers 401 INVALID_SIGNATURE with %s, and runs nothing', async (_label, signing) => {
    const { acme, globex } = await setUp({ env: { GITHUB_WEBHOOK_SECRET: 'instance-secret' } });
    await linkRepo(t, 'acme/api', { org: acme });
    const own = (await rotate(acme)).secret;
    const other = (await rotate(globex)).secret;
    const res = await deliver(t, 'push', push({ repo: 'acme/api' }), { path: orgUrl(acme), ...signing(own, other) }).expect(401);
    expect(res.body).toEqual(INVALID_SIGNATURE);
    expect(await auditOf(t, acme, { action: 'ci_event' })).toHaveLength(0);
  });

  it('answers 401 INVALID_SIGNATURE when the org has no secret, however the delivery is signed', async () => {
    const { acme } = await setUp({ env: { GITHUB_WEBHOOK_SECRET: 'instance-secret' } });
    await deliver(t, 'ping', { zen: 'a' }, { path: orgUrl(acme) }).expect(401);
    const res = await deliver(t, 'ping', { zen: 'b' }, { path: orgUrl(acme), secret: 'instance-secret' }).expect(401);
    expect(res.body).toEqual(INVALID_SIGNATURE);
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org, after the event header and before the signature', async () => {
    await setUp();
    const res = await deliver(t, 'push', push(), { path: orgUrl('org-nope'), secret: 'x' }).expect(404);
    expect(res.body).toEqual({ error: 'Organization not found', code: 'ORG_NOT_FOUND', status: 404 });
    await deliver(t, 'push', push(), { path: '/v1/webhooks/github/NOT_AN_ORG' }).expect(404);
    expect((await deliver(t, null, push(), { path: orgUrl('org-nope') }).expect(400)).body.code).toBe('MISSING_EVENT_HEADER');
  });

  it('answers 405 with Allow: POST for other methods', async () => {
    const { acme } = await setUp();
    const res = await t.api().get(orgUrl(acme)).expect(405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('rotation grace period', () => {
  it('keeps the previous secret valid for one hour, then refuses it; the new one works throughout', async () => {
    const { acme } = await setUp();
    await linkRepo(t, 'acme/api', { org: acme });
    const old = (await rotate(acme)).secret;
    const fresh = (await rotate(acme)).secret;
    let n = 0;
    const send = (secret: string) => deliver(t, 'push', push({ repo: 'acme/api', messages: [`m${n++}`] }), { secret, path: orgUrl(acme) });
    await send(fresh).expect(200);
    t.deps.clock.advance(59 * MINUTE);
    expect((await send(old).expect(200)).body.processed).toBe(true);
    t.deps.clock.advance(MINUTE);
    expect((await send(old).expect(401)).body).toEqual(INVALID_SIGNATURE);
    t.deps.clock.advance(HOUR);
    await send(old).expect(401);
    await send(fresh).expect(200);
  });

  it('drops the secret before the previous one at once when rotating twice within the hour', async () => {
    const { acme } = await setUp();
    const first = (await rotate(acme)).secret;
    t.deps.clock.advance(10 * MINUTE);
    const second = (await rotate(acme)).secret;
    const third = (await rotate(acme)).secret;
    await deliver(t, 'ping', { n: 1 }, { secret: first, path: orgUrl(acme) }).expect(401);
    await deliver(t, 'ping', { n: 2 }, { secret: second, path: orgUrl(acme) }).expect(200);
    await deliver(t, 'ping', { n: 3 }, { secret: third, path: orgUrl(acme) }).expect(200);
  });
});
