import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { execSql } from '../helpers/engine-db.js';
import { agentDetails, auditOf, deliver, linkRepo, pullRequest, push, realExample, workflowRun } from './fixtures.js';

let t: TestApp;
afterEach(() => t.close());

const err = (status: number, code: string, error: string) => ({ error, code, status });

describe('POST /webhooks/github: refused deliveries (in the documented order of checks)', () => {
  beforeEach(async () => {
    t = await makeTestApp();
    await linkRepo(t);
  });

  it('answers 400 MISSING_EVENT_HEADER without X-GitHub-Event, and stores nothing', async () => {
    const before = (await auditOf(t)).length;
    const res = await deliver(t, null, push()).expect(400);
    expect(res.body).toEqual(err(400, 'MISSING_EVENT_HEADER', 'Missing X-GitHub-Event header'));
    expect(res.headers['x-api-version']).toBe('v1');
    expect(await auditOf(t)).toHaveLength(before);
  });

  it('answers 400 MISSING_EVENT_HEADER before looking at the body', async () => {
    const res = await deliver(t, null, '{broken').expect(400);
    expect(res.body.code).toBe('MISSING_EVENT_HEADER');
  });

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const res = await deliver(t, 'push', '{"ref": ').expect(400);
    expect(res.body).toEqual(err(400, 'INVALID_JSON', 'Malformed JSON in webhook payload'));
  });

  it('answers 400 INVALID_JSON for an empty body', async () => {
    const res = await t.api().post('/webhooks/github').set('x-github-event', 'push').expect(400);
    expect(res.body.code).toBe('INVALID_JSON');
  });

  it('answers 400 INVALID_JSON for a form payload= field that is not JSON', async () => {
    const res = await t
      .api()
      .post('/webhooks/github')
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('x-github-event', 'push')
      .send('payload=%7Bbroken')
      .expect(400);
    expect(res.body.code).toBe('INVALID_JSON');
  });

  it('answers 400 INVALID_PAYLOAD for a form body without a payload field', async () => {
    const res = await t
      .api()
      .post('/webhooks/github')
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('x-github-event', 'push')
      .send('other=1')
      .expect(400);
    expect(res.body).toEqual(err(400, 'INVALID_PAYLOAD', 'Form-encoded delivery without a payload field'));
  });

  it.each([['[]'], ['"text"'], ['42'], ['null'], ['true']])('answers 400 INVALID_PAYLOAD for the non-object JSON %s, whatever the event', async (body) => {
    for (const event of ['push', 'ping', 'issues']) {
      const res = await deliver(t, event, body).expect(400);
      expect(res.body).toEqual(err(400, 'INVALID_PAYLOAD', 'Webhook payload must be a JSON object'));
    }
  });

  it.each<[string, () => Record<string, any>, (p: Record<string, any>) => void]>([
    ['workflow_run', workflowRun, (p) => delete p.workflow_run],
    ['pull_request', pullRequest, (p) => delete p.pull_request.number],
    ['push', push, (p) => delete p.ref],
    ['check_run', () => realExample('check_run'), (p) => delete p.check_run.head_sha],
  ])('answers 400 INVALID_PAYLOAD for a %s payload missing a field the mapping needs, and stores nothing', async (event, make, damage) => {
    const before = (await auditOf(t)).length;
    const p = make();
    damage(p);
    const res = await deliver(t, event, p, { id: 'd-bad' }).expect(400);
    expect(res.body).toEqual(err(400, 'INVALID_PAYLOAD', `Payload is missing fields a ${event} event needs`));
    expect(await auditOf(t)).toHaveLength(before);
    // The refused id was not kept: the corrected delivery runs.
    if (event === 'push') expect((await deliver(t, 'push', push(), { id: 'd-bad' }).expect(200)).body.processed).toBe(true);
  });

  it('answers 413 PAYLOAD_TOO_LARGE over WEBHOOK_BODY_LIMIT', async () => {
    t.close();
    t = await makeTestApp({ env: { WEBHOOK_BODY_LIMIT: '1kb' } });
    const res = await deliver(t, 'push', { ...push(), padding: 'x'.repeat(2048) }).expect(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 400 MISSING_EVENT_HEADER rather than 413 for an oversized body without the header', async () => {
    t.close();
    t = await makeTestApp({ env: { WEBHOOK_BODY_LIMIT: '1kb' } });
    const res = await deliver(t, null, { ...push(), padding: 'x'.repeat(2048) }).expect(400);
    expect(res.body.code).toBe('MISSING_EVENT_HEADER');
  });

  it('answers 405 METHOD_NOT_ALLOWED with Allow: POST for another method', async () => {
    const res = await t.api().get('/webhooks/github').expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('POST /webhooks/github: accepted deliveries', () => {
  beforeEach(async () => {
    t = await makeTestApp();
  });

  it('answers ping with {received, event: "ping", processed: true}', async () => {
    const res = await deliver(t, 'ping', realExample('ping')).expect(200);
    expect(res.body).toEqual({ received: true, event: 'ping', processed: true });
  });

  it('answers an event it does not handle with processed false, and writes nothing', async () => {
    await linkRepo(t, 'Codertocat/Hello-World');
    const before = (await auditOf(t)).length;
    const res = await deliver(t, 'issues', realExample('issues')).expect(200);
    expect(res.body).toEqual({ received: true, event: 'issues', processed: false, reason: 'Event type not handled' });
    expect(await auditOf(t)).toHaveLength(before);
  });

  it('answers a repository no project links with processed false, and writes nothing', async () => {
    await linkRepo(t, 'acme/other');
    const before = (await auditOf(t)).length;
    const res = await deliver(t, 'push', push()).expect(200);
    expect(res.body).toEqual({ received: true, event: 'push', action: null, repo: 'acme/api', processed: false, reason: 'Repository not linked' });
    expect(await auditOf(t)).toHaveLength(before);
  });

  it('answers a processed delivery with the full documented shape', async () => {
    const { projectId, agentId } = await linkRepo(t);
    const res = await deliver(t, 'workflow_run', workflowRun()).expect(200);
    expect(res.body).toEqual({
      received: true,
      event: 'workflow_run',
      action: 'completed',
      repo: 'acme/api',
      processed: true,
      ciEvent: {
        type: 'workflow_run',
        repo: 'acme/api',
        branch: 'main',
        status: 'completed',
        conclusion: 'failure',
        details: "Workflow 'CI' failed on main (abc1234)",
      },
      outcomes: [{ projectId, agentId, outcome: 'notified', spawnedAgentId: null }],
    });
  });

  it('answers action null for a push', async () => {
    await linkRepo(t);
    const res = await deliver(t, 'push', push()).expect(200);
    expect(res.body).toMatchObject({ event: 'push', action: null, processed: true, ciEvent: { type: 'push', branch: 'main', details: 'Push to main by alice: feat: add rate limiting' } });
    expect(Object.keys(res.body)).toContain('action');
  });

  it('routes to a project whatever the case of the repository name', async () => {
    const { projectId } = await linkRepo(t, 'Acme/API');
    const res = await deliver(t, 'push', push({ repo: 'acme/api' })).expect(200);
    expect(res.body).toMatchObject({ processed: true, repo: 'acme/api', outcomes: [{ projectId }] });
    const upper = await deliver(t, 'push', push({ repo: 'ACME/Api' })).expect(200);
    expect(upper.body).toMatchObject({ processed: true, outcomes: [{ projectId }] });
  });

  it('serves /v1/webhooks/github identically', async () => {
    await linkRepo(t);
    const a = await deliver(t, 'pull_request', pullRequest()).expect(200);
    // The same event in other bytes: the very same body again would be a replay (both forms are one URL).
    const b = await deliver(t, 'pull_request', JSON.stringify(pullRequest(), null, 1), { path: '/v1/webhooks/github' }).expect(200);
    expect(b.body).toEqual(a.body);
    expect((await deliver(t, null, push(), { path: '/v1/webhooks/github' }).expect(400)).body.code).toBe('MISSING_EVENT_HEADER');
    expect((await deliver(t, 'ping', {}, { path: '/v1/webhooks/github' }).expect(200)).body).toEqual({ received: true, event: 'ping', processed: true });
  });
});

describe('POST /webhooks/github: delivery de-duplication', () => {
  const DUPLICATE = (event: string) => ({ received: true, event, processed: false, duplicate: true, reason: 'Duplicate delivery' });

  beforeEach(async () => {
    t = await makeTestApp();
  });

  it('answers a repeated X-GitHub-Delivery as a duplicate and runs nothing twice', async () => {
    const { agentId } = await linkRepo(t, undefined, { level: 3 });
    const first = await deliver(t, 'workflow_run', workflowRun(), { id: 'd-1' }).expect(200);
    expect(first.body.outcomes[0].outcome).toBe('agent_spawned');
    const audit = (await auditOf(t)).length;
    const stats = (await agentDetails(t, agentId)).stats;
    const agents = (await t.api().get('/api/agents').expect(200)).body.length;

    const again = await deliver(t, 'workflow_run', workflowRun(), { id: 'd-1' }).expect(200);
    expect(again.body).toEqual(DUPLICATE('workflow_run'));
    expect(await auditOf(t)).toHaveLength(audit);
    expect((await agentDetails(t, agentId)).stats).toEqual(stats);
    expect((await t.api().get('/api/agents').expect(200)).body).toHaveLength(agents);
  });

  it('de-duplicates ping and unhandled events too (duplicate comes before the event type)', async () => {
    await deliver(t, 'ping', { zen: 'ping' }, { id: 'd-ping' }).expect(200);
    expect((await deliver(t, 'ping', { zen: 'ping' }, { id: 'd-ping' }).expect(200)).body).toEqual(DUPLICATE('ping'));
    await deliver(t, 'issues', { issue: 1 }, { id: 'd-issue' }).expect(200);
    expect((await deliver(t, 'issues', { issue: 1 }, { id: 'd-issue' }).expect(200)).body).toEqual(DUPLICATE('issues'));
  });

  it('checks the body before the duplicate (a repeated id with a bad body → 400)', async () => {
    await deliver(t, 'push', push(), { id: 'd-2' }).expect(200);
    expect((await deliver(t, 'push', '{bad', { id: 'd-2' }).expect(400)).body.code).toBe('INVALID_JSON');
    expect((await deliver(t, 'push', '[]', { id: 'd-2' }).expect(400)).body.code).toBe('INVALID_PAYLOAD');
  });

  it('processes deliveries without X-GitHub-Delivery; only the replay rule stops the same body twice', async () => {
    await linkRepo(t);
    for (const message of ['fix: one', 'fix: two']) {
      expect((await deliver(t, 'push', push({ messages: [message] }), { id: null }).expect(200)).body.processed).toBe(true);
    }
    const again = await deliver(t, 'push', push({ messages: ['fix: two'] }), { id: null }).expect(200);
    expect(again.body).toEqual({ received: true, event: 'push', processed: false, duplicate: true, reason: 'Replayed payload' });
    const events = await auditOf(t, 'default', { action: 'ci_event' });
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.metadata.deliveryId)).toEqual([null, null]);
  });

  it('forgets delivery ids after 7 days', async () => {
    await linkRepo(t);
    await deliver(t, 'push', push(), { id: 'd-old' }).expect(200);
    t.deps.clock.advance(6 * 86_400_000);
    expect((await deliver(t, 'push', push(), { id: 'd-old' }).expect(200)).body).toEqual(DUPLICATE('push'));
    t.deps.clock.advance(2 * 86_400_000);
    expect((await deliver(t, 'push', push(), { id: 'd-old' }).expect(200)).body.processed).toBe(true);
  });
});

describe('POST /webhooks/github: one transaction per delivery', () => {
  it('leaves nothing half-done when a step fails, and the delivery can be retried', async () => {
    t = await makeTestApp({ env: { LOG_LEVEL: 'silent' } });
    const { agentId } = await linkRepo(t, undefined, { level: 3 });
    const before = { audit: (await auditOf(t)).length, stats: (await agentDetails(t, agentId)).stats };
    // A real failure inside the transaction: the spawn's INSERT is refused by the database.
    await refuseAgentInserts(t, true);

    const res = await deliver(t, 'workflow_run', workflowRun(), { id: 'd-tx' }).expect(500);
    expect(res.body).toEqual(err(500, 'INTERNAL_ERROR', 'Internal server error'));
    expect(await auditOf(t)).toHaveLength(before.audit);
    expect((await agentDetails(t, agentId)).stats).toEqual(before.stats);
    expect((await t.api().get('/api/projects').expect(200)).body.projects[0].lastBuild).toBeNull();

    await refuseAgentInserts(t, false);
    const retry = await deliver(t, 'workflow_run', workflowRun(), { id: 'd-tx' }).expect(200);
    expect(retry.body.outcomes[0].outcome).toBe('agent_spawned');
  });
});

/** A trigger that refuses every new agent row (or its removal), in each engine's dialect. */
async function refuseAgentInserts(app: TestApp, refuse: boolean): Promise<void> {
  if (app.deps.engine.kind === 'sqlite') {
    await execSql(app, refuse ? "CREATE TRIGGER no_spawn BEFORE INSERT ON agents BEGIN SELECT RAISE(ABORT, 'refused'); END" : 'DROP TRIGGER no_spawn');
    return;
  }
  if (!refuse) return execSql(app, 'DROP TRIGGER no_spawn ON agents');
  await execSql(app, "CREATE FUNCTION no_spawn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$");
  await execSql(app, 'CREATE TRIGGER no_spawn BEFORE INSERT ON agents FOR EACH ROW EXECUTE FUNCTION no_spawn()');
}
