import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { startStub, type Stub } from '../helpers/stub-server.js';
import { deliver, workflowRun } from '../webhooks/fixtures.js';
import { EVENT_TYPES, INSTANCE_TYPES } from '../../src/events/events.types.js';
import { listen, openStream, type Stream } from './support.js';
import { until } from '../reliability/support.js';

const A = 'org-alpha';
const B = 'org-beta';
let t: TestApp;
let telegram: Stub;
let srv: Awaited<ReturnType<typeof listen>>;
let sA: Stream, sB: Stream, sAll: Stream;

beforeAll(async () => {
  telegram = await startStub((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"result":{}}'));
  t = await makeTestApp({ env: { ENABLE_TELEGRAM: 'true', TELEGRAM_BOT_TOKEN: 'test-token', TELEGRAM_API_URL: telegram.url } });
  srv = await listen(t.app);
  for (const name of ['Alpha', 'Beta']) await t.api().post('/api/orgs').send({ name }).expect(201);
  [sA, sB, sAll] = await Promise.all([openStream(srv.base, '/api/events', inOrg(A)), openStream(srv.base, '/api/events', inOrg(B)), openStream(srv.base, '/api/events')]);
});
afterAll(async () => {
  [sA, sB, sAll].forEach((s) => s.close());
  await srv.close();
  await t.close();
  await telegram.close();
});

/** One change of every kind in org A, and the instance events. */
async function everyKindInAlpha(): Promise<void> {
  const agent = (await t.api().post('/api/agents').set(inOrg(A)).send({ name: 'worker', type: 'task' }).expect(201)).body as { id: string };
  await t.api().post(`/api/agents/${agent.id}/action`).set(inOrg(A)).send({ action: 'suspend' }).expect(200);
  await t.api().delete(`/api/agents/${agent.id}`).set(inOrg(A)).expect(200);
  const project = (await t.api().post('/api/projects').set(inOrg(A)).send({ repo: 'alpha/api' }).expect(201)).body as { id: string };
  await deliver(t, 'workflow_run', workflowRun({ repo: 'alpha/api' })).expect(200);
  await t.api().post('/webhooks/deploy').send({ project: project.id, status: 'succeeded' }).expect(200);
  const approval = (await t.api().post('/api/approvals').set(inOrg(A, 'ci:job')).send({ action: 'deploy', description: 'ship it' }).expect(201)).body as { id: string };
  await t.api().post(`/api/approvals/${approval.id}/vote`).set(inOrg(A, 'alice')).send({ vote: 'approve' }).expect(200);
  await t.api().delete(`/api/projects/${project.id}`).set(inOrg(A)).expect(200);
  await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
  await t.api().post('/api/channels/telegram/reconnect').expect(200);
}

describe('event scope', () => {
  it('gives an org stream every event type of its org, an unscoped stream those and the instance events, and another org nothing', async () => {
    await everyKindInAlpha();
    const orgTypes = EVENT_TYPES.filter((type) => !INSTANCE_TYPES.has(type));
    for (const type of EVENT_TYPES) await sAll.next((f) => f.event === type);
    for (const type of orgTypes) await sA.next((f) => f.event === type && f.data!.orgId === A);
    // Sentinels, sent once everything above was delivered: behind them nothing else can come.
    await t.api().post('/api/agents').set(inOrg(A)).send({ name: 'sentinel-a', type: 'task' }).expect(201);
    await t.api().post('/api/agents').set(inOrg(B)).send({ name: 'sentinel-b', type: 'task' }).expect(201);
    await sA.next((f) => f.event === 'agent.created' && f.data!.data.name === 'sentinel-a');
    await sB.next((f) => f.event === 'agent.created' && f.data!.data.name === 'sentinel-b');
    await sB.next((f) => f.event === 'audit.appended' && f.data!.data.action === 'agent_create');

    expect(new Set(sA.frames.map((f) => f.event))).toEqual(new Set(orgTypes));
    expect(sA.frames.every((f) => f.data!.orgId === A)).toBe(true);
    expect(sB.frames.every((f) => f.data!.orgId === B)).toBe(true);
    expect(new Set(sB.frames.map((f) => f.event))).toEqual(new Set(['agent.created', 'audit.appended']));
    for (const f of sAll.frames.filter((f) => INSTANCE_TYPES.has(f.event as never))) expect(f.data!.orgId).toBeNull();
    // Only audit frames carry an id, so a browser's Last-Event-ID is always a cursor.
    for (const f of [...sA.frames, ...sAll.frames]) expect(f.id !== undefined).toBe(f.event === 'audit.appended');
  });

  it('carries the documented data for each type', () => {
    const data = (type: string) => sA.frames.find((f) => f.event === type)!.data!.data;
    expect(data('agent.updated')).toMatchObject({ status: 'SUSPENDED' });
    expect(Object.keys(data('agent.deleted'))).toEqual(['id']);
    expect(data('project.created')).toMatchObject({ repo: 'alpha/api', repoUrl: 'https://github.com/alpha/api', orgId: A });
    expect(data('ci.event')).toMatchObject({ ciEvent: { type: 'workflow_run', repo: 'alpha/api' }, outcomes: [{ outcome: 'notified' }] });
    expect(data('deploy.status')).toMatchObject({ status: 'succeeded', orgId: A, environment: 'production' });
    expect(data('approval.requested')).toMatchObject({ status: 'pending', requestedBy: 'ci:job' });
    const updated = sA.frames.filter((f) => f.event === 'approval.updated').at(-1)!.data!.data;
    expect(updated).toMatchObject({ status: 'approved', votes: [{ voter: 'alice', vote: 'approve' }] });
    const run = sAll.frames.find((f) => f.event === 'scheduler.run')!.data!.data;
    expect(run).toMatchObject({ name: 'audit-cleanup', ok: true, error: null });
    const statuses = sAll.frames.filter((f) => f.event === 'channel.status').map((f) => f.data!.data);
    expect(statuses).toContainEqual({ name: 'telegram', status: 'connected' });
  });

  it('keeps delivering by scope as an org’s streams all close and a new one opens', async () => {
    const D = 'default';
    const [d1, d2] = await Promise.all([openStream(srv.base, '/api/events', inOrg(D)), openStream(srv.base, '/api/events', inOrg(D))]);
    await t.api().post('/api/agents').set(inOrg(D)).send({ name: 'first', type: 'task' }).expect(201);
    await Promise.all([d1, d2].map((s) => s.next((f) => f.event === 'agent.created' && f.data!.data.name === 'first')));
    d1.close();
    d2.close();
    await Promise.all([d1.ended, d2.ended]);
    await until(() => t.services.events.openCount() === 3, 'only the three long-lived streams are open');
    const later = await openStream(srv.base, '/api/events', inOrg(D));
    // Same scope, other types: a group of its own.
    const typed = await openStream(srv.base, '/api/events?types=audit.appended', inOrg(D));
    try {
      await t.api().post('/api/agents').set(inOrg(A)).send({ name: 'not-for-default', type: 'task' }).expect(201);
      await t.api().post('/api/agents').set(inOrg(D)).send({ name: 'second', type: 'task' }).expect(201);
      await later.next((f) => f.event === 'agent.created' && f.data!.data.name === 'second');
      await sAll.next((f) => f.event === 'agent.created' && f.data!.data.name === 'second');
      expect(later.frames.length).toBeGreaterThan(0);
      expect(later.frames.every((f) => f.data!.orgId === D)).toBe(true);
      await typed.next((f) => f.event === 'audit.appended' && f.data!.data.action === 'agent_create');
      expect(typed.frames.every((f) => f.event === 'audit.appended' && f.data!.orgId === D)).toBe(true);
      expect(later.frames.map((f) => f.event)).toContain('audit.appended');
      expect([...sA.frames, ...sB.frames].some((f) => f.data!.orgId === D)).toBe(false);
    } finally {
      later.close();
      typed.close();
    }
  });
});
