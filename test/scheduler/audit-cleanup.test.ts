import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const DAY = 86_400_000;

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp({ env: { AUDIT_RETENTION_DAYS: '1', SCHEDULER_ENABLED: 'true' } });
});
afterEach(() => t.close());

const entries = async (query: Record<string, string> = {}, org?: string) => {
  const req = t.api().get('/api/audit').query({ order: 'asc', limit: '100', ...query });
  if (org) req.set('x-org-id', org);
  return (await req.expect(200)).body as { total: number; entries: Array<Record<string, unknown>> };
};

/** Two old entries in `default`, one in org-acme; two days later, one fresh entry in `default`. */
async function seed() {
  await t.api().post('/api/scheduler/health-check/pause').expect(200);
  await t.api().post('/api/scheduler/health-check/resume').expect(200);
  await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
  t.deps.clock.advance(2 * DAY);
  await t.api().post('/api/scheduler/build-status-report/pause').expect(200);
}

describe('audit-cleanup', () => {
  it('removes entries older than AUDIT_RETENTION_DAYS, keeps the chains valid and records one audit_cleanup', async () => {
    await seed();
    const outcome = await t.services.scheduler.fire('audit-cleanup');
    expect(outcome).toMatchObject({ name: 'audit-cleanup', ok: true, error: null });

    const left = await entries();
    expect(left.entries.map((e) => e.action)).toEqual(['scheduler_pause', 'audit_cleanup']);
    expect(left.entries[0]).toMatchObject({ metadata: { task: 'build-status-report' } });
    expect(left.entries[1]).toMatchObject({
      orgId: 'default',
      actorType: 'system',
      actorId: 'audit-cleanup',
      action: 'audit_cleanup',
      result: 'completed',
      risk: 'low',
      timestamp: '2026-06-03T12:00:00.000Z',
      metadata: {
        removed: 3,
        orgs: [
          { orgId: 'default', removed: 2 },
          { orgId: 'org-acme', removed: 1 },
        ],
      },
    });
    expect((await entries({}, 'org-acme')).total).toBe(0);

    const verify = await t.api().get('/api/audit/verify').expect(200);
    expect(verify.body).toMatchObject({ valid: true, checked: 2 });
    expect((await t.api().get('/api/audit/verify').set('x-org-id', 'default').expect(200)).body).toEqual({ valid: true, checked: 2, brokenAt: null, keyed: false, unkeyed: 2 });
    expect((await t.api().get('/api/audit/verify').set('x-org-id', 'org-acme').expect(200)).body).toEqual({ valid: true, checked: 0, brokenAt: null, keyed: false, unkeyed: 0 });
  });

  it('records nothing when nothing is old enough', async () => {
    await seed();
    await t.services.scheduler.fire('audit-cleanup');
    await t.services.scheduler.fire('audit-cleanup');
    expect((await entries({ action: 'audit_cleanup' })).total).toBe(1);
    expect((await t.api().get('/api/scheduler/audit-cleanup').expect(200)).body).toMatchObject({ runCount: 2, errors: 0 });
  });

  it('keeps the chain valid through later appends and a second cleanup', async () => {
    await seed();
    await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    t.deps.clock.advance(3 * DAY);
    await t.api().post('/api/scheduler/build-status-report/resume').expect(200);
    const res = await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    expect(res.body).toMatchObject({ ok: true });
    const left = await entries({}, 'default');
    expect(left.entries.map((e) => e.action)).toEqual(['scheduler_resume', 'audit_cleanup', 'scheduler_run']);
    expect(left.entries[1]).toMatchObject({ metadata: { removed: 3, orgs: [{ orgId: 'default', removed: 3 }] } });
    expect((await t.api().get('/api/audit/verify').expect(200)).body.valid).toBe(true);
  });

  it('answers the run through the API, audited as scheduler_run', async () => {
    await seed();
    const res = await t.api().post('/api/scheduler/audit-cleanup/run').set('x-actor-id', 'ops').expect(200);
    expect(res.body).toMatchObject({ name: 'audit-cleanup', ok: true, error: null });
    const actions = (await entries({}, 'default')).entries.map((e) => e.action);
    expect(actions).toEqual(['scheduler_pause', 'audit_cleanup', 'scheduler_run']);
  });
});

describe('audit-cleanup and conversations', () => {
  it('removes inbound messages older than the retention that GET /api/memory reports, and keeps newer ones', async () => {
    const send = (text: string) => t.api().post('/api/channels/web/messages').send({ userId: 'u-1', text }).expect(201);
    await send('old question');
    t.deps.clock.advance(2 * DAY);
    await send('fresh question');
    const before = await t.api().get('/api/memory').expect(200);
    expect(before.body.conversations).toMatchObject({ totalMessages: 2, retentionDays: 1 });
    expect((await t.api().post('/api/scheduler/audit-cleanup/run').expect(200)).body).toMatchObject({ ok: true });
    const after = await t.api().get('/api/memory').expect(200);
    expect(after.body.conversations).toMatchObject({ totalMessages: 1, channels: { web: 1 } });
  });
});
