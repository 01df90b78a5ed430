import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { agentDetails, auditOf, deliver, linkRepo, push, workflowRun } from './fixtures.js';

const SECRET = 'instance-secret';
const HOUR = 3_600_000;
const REPLAYED = (event: string) => ({ received: true, event, processed: false, duplicate: true, reason: 'Replayed payload' });
const MISSING_DELIVERY_ID = { error: 'Missing X-GitHub-Delivery header: signed deliveries must carry their delivery id', code: 'MISSING_DELIVERY_ID', status: 400 };

let t: TestApp;
afterEach(() => t.close());

describe('replayed payloads (same body, another delivery id, within 72 hours)', () => {
  it('runs a signed failed workflow once, however many fresh delivery ids it is re-sent under', async () => {
    t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    const { agentId } = await linkRepo(t, undefined, { level: 3 });
    const body = JSON.stringify(workflowRun());
    const first = await deliver(t, 'workflow_run', body, { secret: SECRET, id: 'd-1' }).expect(200);
    expect(first.body.outcomes[0].outcome).toBe('agent_spawned');
    for (let i = 2; i <= 5; i++) {
      expect((await deliver(t, 'workflow_run', body, { secret: SECRET, id: `d-${i}` }).expect(200)).body).toEqual(REPLAYED('workflow_run'));
    }
    expect(await auditOf(t, 'default', { action: 'ci_event' })).toHaveLength(1);
    expect(await auditOf(t, 'default', { action: 'agent_spawn' })).toHaveLength(1);
    expect((await agentDetails(t, agentId)).stats.incidentsHandled).toBe(1);
  });

  it('answers a repeated delivery id as a duplicate first, and treats other bytes as another payload', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    const payload = push();
    await deliver(t, 'push', payload, { id: 'd-a' }).expect(200);
    expect((await deliver(t, 'push', payload, { id: 'd-a' }).expect(200)).body.reason).toBe('Duplicate delivery');
    expect((await deliver(t, 'push', JSON.stringify(payload, null, 2), { id: 'd-b' }).expect(200)).body.processed).toBe(true);
  });

  it('replays ping and unhandled events too, and forgets a body after 72 hours', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    await deliver(t, 'ping', { zen: 'z' }).expect(200);
    expect((await deliver(t, 'ping', { zen: 'z' }).expect(200)).body).toEqual(REPLAYED('ping'));
    await deliver(t, 'issues', { action: 'opened' }).expect(200);
    expect((await deliver(t, 'issues', { action: 'opened' }).expect(200)).body).toEqual(REPLAYED('issues'));
    const body = push();
    await deliver(t, 'push', body).expect(200);
    t.deps.clock.advance(72 * HOUR - 1);
    expect((await deliver(t, 'push', body).expect(200)).body).toEqual(REPLAYED('push'));
    t.deps.clock.advance(1);
    expect((await deliver(t, 'push', body).expect(200)).body.processed).toBe(true);
    // Processing it again starts a new window.
    expect((await deliver(t, 'push', body).expect(200)).body).toEqual(REPLAYED('push'));
    expect(await auditOf(t, 'default', { action: 'ci_event' })).toHaveLength(2);
  });

  it('keeps the window per URL: the same body at the instance URL and at an org URL both run', async () => {
    t = await makeTestApp();
    const org = (await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201)).body.id as string;
    await linkRepo(t, 'acme/api', { org });
    const { secret } = (await t.api().post('/api/webhooks/secret').set('x-org-id', org).expect(201)).body;
    const body = JSON.stringify(push({ repo: 'acme/api' }));
    expect((await deliver(t, 'push', body).expect(200)).body.processed).toBe(true);
    expect((await deliver(t, 'push', body, { secret, path: `/webhooks/github/${org}` }).expect(200)).body.processed).toBe(true);
    expect((await deliver(t, 'push', body, { secret, path: `/v1/webhooks/github/${org}` }).expect(200)).body).toEqual(REPLAYED('push'));
  });

  it('catches a replay inside one group-committed batch', async () => {
    t = await makeTestApp();
    await linkRepo(t, undefined, { level: 3 });
    const payload = workflowRun();
    const bodySha256 = createHash('sha256').update(JSON.stringify(payload)).digest('hex');
    // Three calls in one turn of the event loop: applied together in one transaction.
    const results = await Promise.all(
      ['b-1', 'b-2', 'b-3'].map((deliveryId) => t.services.webhooks.process({ event: 'workflow_run', deliveryId, payload, orgId: null, bodySha256 })),
    );
    expect(results.map((r) => r.processed)).toEqual([true, false, false]);
    expect(results.slice(1)).toEqual([REPLAYED('workflow_run'), REPLAYED('workflow_run')]);
    expect(await auditOf(t, 'default', { action: 'agent_spawn' })).toHaveLength(1);
  });
});

describe('MISSING_DELIVERY_ID when a signature is required', () => {
  it('answers 400 for a signed delivery without X-GitHub-Delivery at the instance URL, and stores nothing', async () => {
    t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    await linkRepo(t);
    const before = (await auditOf(t)).length;
    for (const headers of [{}, { 'x-github-delivery': '' }] as Array<Record<string, string>>) {
      const res = await deliver(t, 'push', push(), { secret: SECRET, id: null, headers }).expect(400);
      expect(res.body).toEqual(MISSING_DELIVERY_ID);
    }
    expect(await auditOf(t)).toHaveLength(before);
    // Refused, so not a replay: the same body with its id runs.
    expect((await deliver(t, 'push', push(), { secret: SECRET, id: 'd-ok' }).expect(200)).body.processed).toBe(true);
  });

  it('answers 400 at an org URL, which always needs a signature', async () => {
    t = await makeTestApp();
    const org = (await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201)).body.id as string;
    const { secret } = (await t.api().post('/api/webhooks/secret').set('x-org-id', org).expect(201)).body;
    const res = await deliver(t, 'ping', { zen: 'z' }, { secret, id: null, path: `/webhooks/github/${org}` }).expect(400);
    expect(res.body).toEqual(MISSING_DELIVERY_ID);
  });

  it('comes after the signature and before the body checks', async () => {
    t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    expect((await deliver(t, 'push', push(), { id: null }).expect(401)).body.code).toBe('INVALID_SIGNATURE');
    expect((await deliver(t, 'push', push(), { id: null, secret: 'wrong' }).expect(401)).body.code).toBe('INVALID_SIGNATURE');
    expect((await deliver(t, 'push', '{not json', { id: null, secret: SECRET }).expect(400)).body).toEqual(MISSING_DELIVERY_ID);
    expect((await deliver(t, 'push', '[]', { id: null, secret: SECRET }).expect(400)).body).toEqual(MISSING_DELIVERY_ID);
  });

  it('is not asked for when no signature is required', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    expect((await deliver(t, 'push', push(), { id: null }).expect(200)).body.processed).toBe(true);
  });
});
