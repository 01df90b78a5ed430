import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { TEST_ENGINE } from '../helpers/deps.js';

let t: TestApp;
afterEach(async () => await t.close());

const ACME = { 'x-org-id': 'org-acme' };

/** Two orgs with agents, projects, audit entries and webhook deliveries of their own. */
async function seed(): Promise<void> {
  const api = t.api();
  await api.post('/api/orgs').send({ name: 'Acme', slug: 'acme' }).expect(201);
  await api.post('/api/orgs').send({ name: 'Globex', slug: 'globex' }).expect(201);
  // default: one task agent (suspended) and one project (with its ACTIVE project agent).
  const a = (await api.post('/api/agents').send({ name: 'Runner', type: 'task' }).expect(201)).body as { id: string };
  await api.post(`/api/agents/${a.id}/action`).send({ action: 'suspend' }).expect(200);
  await api.post('/api/projects').send({ repo: 'acme/api' }).expect(201);
  // org-acme: two task agents, two projects.
  await api.post('/api/agents').set(ACME).send({ name: 'One', type: 'task' }).expect(201);
  await api.post('/api/agents').set(ACME).send({ name: 'Two', type: 'task' }).expect(201);
  await api.post('/api/projects').set(ACME).send({ repo: 'acme/web' }).expect(201);
  await api.post('/api/projects').set(ACME).send({ repo: 'acme/docs' }).expect(201);
}

const push = (repo: string, n: number) => ({ ref: 'refs/heads/main', repository: { full_name: repo }, pusher: { name: 'octocat' }, head_commit: { message: `change ${n}` } });

describe('GET /api/status', () => {
  it('answers the instance at a glance, unscoped: every org counted', async () => {
    t = await makeTestApp();
    await seed();
    t.deps.clock.advance(90_000);
    const audit = (await t.api().get('/api/audit').expect(200)).body.total as number;
    const res = await t.api().get('/api/status').expect(200);
    expect(res.body).toEqual({
      version: '0.0.0-test',
      engine: TEST_ENGINE,
      uptime: 90,
      agents: { total: 6, byStatus: { ACTIVE: 5, IDLE: 0, SUSPENDED: 1, ERROR: 0 } },
      projects: 3,
      orgs: 3,
      auditEntries: audit,
      webhookDeliveries24h: 0,
      approvalsPending: 0,
    });
    expect(audit).toBeGreaterThan(0);
  });

  it("counts only the caller's org with x-org-id (orgs: 1), and the same under /v1", async () => {
    t = await makeTestApp();
    await seed();
    const audit = (await t.api().get('/api/audit').set(ACME).expect(200)).body.total as number;
    const res = await t.api().get('/v1/api/status').set(ACME).expect(200);
    expect(res.body).toMatchObject({
      agents: { total: 4, byStatus: { ACTIVE: 4, IDLE: 0, SUSPENDED: 0, ERROR: 0 } },
      projects: 2,
      orgs: 1,
      auditEntries: audit,
      webhookDeliveries24h: 0,
      approvalsPending: 0,
    });
    const globexAudit = (await t.api().get('/api/audit').set('x-org-id', 'org-globex').expect(200)).body.total as number;
    const empty = await t.api().get('/api/status').set('x-org-id', 'org-globex').expect(200);
    expect(empty.body).toMatchObject({ agents: { total: 0, byStatus: { ACTIVE: 0, IDLE: 0, SUSPENDED: 0, ERROR: 0 } }, projects: 0, orgs: 1, auditEntries: globexAudit });
    expect(globexAudit).toBeLessThan(audit);
  });

  it('counts webhook deliveries of the last 24 hours: all accepted ones unscoped, those that reached the org in it', async () => {
    t = await makeTestApp();
    await seed();
    const deliver = (body: unknown, event = 'push') => t.api().post('/webhooks/github').set('x-github-event', event).send(body as object).expect(200);
    await deliver(push('acme/web', 1));
    await deliver(push('acme/api', 2));
    await deliver({ zen: 'hello' }, 'ping');
    await deliver(push('acme/web', 1)); // the same body again: a replay, not a delivery
    expect((await t.api().get('/api/status').expect(200)).body.webhookDeliveries24h).toBe(3);
    expect((await t.api().get('/api/status').set(ACME).expect(200)).body.webhookDeliveries24h).toBe(1);
    expect((await t.api().get('/api/status').set('x-org-id', 'default').expect(200)).body.webhookDeliveries24h).toBe(1);
    t.deps.clock.advance(24 * 3_600_000 + 1_000);
    await deliver(push('acme/web', 3));
    expect((await t.api().get('/api/status').expect(200)).body.webhookDeliveries24h).toBe(1);
    expect((await t.api().get('/api/status').set(ACME).expect(200)).body.webhookDeliveries24h).toBe(1);
    expect((await t.api().get('/api/status').set('x-org-id', 'default').expect(200)).body.webhookDeliveries24h).toBe(0);
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org and 400 INVALID_ORG_ID for a malformed one', async () => {
    t = await makeTestApp();
    expectError(await t.api().get('/api/status').set('x-org-id', 'org-nope'), 404, 'ORG_NOT_FOUND');
    expectError(await t.api().get('/api/status').set('x-org-id', 'Not Valid'), 400, 'INVALID_ORG_ID');
  });

  it('answers 405 for another method', async () => {
    t = await makeTestApp();
    expectError(await t.api().post('/api/status').send({}), 405, 'METHOD_NOT_ALLOWED');
  });

  it('with API_TOKENS: 401 without a token, an org token sees its org only, a * token sees every org', async () => {
    t = await makeTestApp({ env: { API_TOKENS: 'ops-token:*,acme-token:org-acme' } });
    await t.api().post('/api/orgs').set('authorization', 'Bearer ops-token').send({ name: 'Acme', slug: 'acme' }).expect(201);
    expectError(await t.api().get('/api/status'), 401, 'UNAUTHORIZED');
    const scoped = await t.api().get('/api/status').set('authorization', 'Bearer acme-token').expect(200);
    const acmeAudit = (await t.api().get('/api/audit').set('authorization', 'Bearer acme-token').expect(200)).body.total as number;
    expect(scoped.body).toMatchObject({ orgs: 1, auditEntries: acmeAudit });
    expectError(await t.api().get('/api/status').set('authorization', 'Bearer acme-token').set('x-org-id', 'default'), 403, 'FORBIDDEN');
    const all = await t.api().get('/api/status').set('authorization', 'Bearer ops-token').expect(200);
    expect(all.body.orgs).toBe(2);
  });

  it('counts approvals still pending in the scope: not decided ones, nor those past their expiry', async () => {
    t = await makeTestApp();
    await seed();
    const ask = (headers: Record<string, string>, minutes = 60) =>
      t.api().post('/api/approvals').set({ ...headers, 'x-actor-id': 'ci:release' }).send({ action: 'deploy', description: 'Ship it', expiresInMinutes: minutes }).expect(201);
    await ask(ACME);
    await ask(ACME, 5);
    const decided = (await ask(ACME)).body as { id: string };
    await t.api().post(`/api/approvals/${decided.id}/vote`).set({ ...ACME, 'x-actor-id': 'ops:alice' }).send({ vote: 'reject' }).expect(200);
    await ask({ 'x-org-id': 'org-globex' });
    expect((await t.api().get('/api/status').set(ACME).expect(200)).body.approvalsPending).toBe(2);
    expect((await t.api().get('/api/status').expect(200)).body.approvalsPending).toBe(3);
    t.deps.clock.advance(5 * 60_000);
    expect((await t.api().get('/api/status').set(ACME).expect(200)).body.approvalsPending).toBe(1);
    expect((await t.api().get('/api/status').set('x-org-id', 'org-globex').expect(200)).body.approvalsPending).toBe(1);
  });
});
