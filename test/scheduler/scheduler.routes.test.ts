import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp({ env: { SCHEDULER_ENABLED: 'true' } });
});
afterEach(() => t.close());

const NOT_FOUND = { error: 'Task not found', code: 'TASK_NOT_FOUND', status: 404 };

const auditEntries = async (action: string) =>
  (await t.api().get('/api/audit').query({ action, order: 'asc' }).set('x-org-id', 'default').expect(200)).body.entries as Array<Record<string, unknown>>;

describe('GET /api/scheduler', () => {
  it('lists the three built-in tasks with their schedules and next runs from the clock', async () => {
    const res = await t.api().get('/api/scheduler').expect(200);
    expect(res.body).toEqual([
      {
        name: 'health-check',
        schedule: '*/5 * * * *',
        intervalMs: 300000,
        lastRun: null,
        nextRun: '2026-06-01T12:05:00.000Z',
        runCount: 0,
        errors: 0,
        enabled: true,
        builtin: true,
        lastError: null,
        lastDurationMs: null,
      },
      expect.objectContaining({ name: 'build-status-report', schedule: '0 6 * * *', intervalMs: 86400000, nextRun: '2026-06-02T06:00:00.000Z', builtin: true }),
      expect.objectContaining({ name: 'audit-cleanup', schedule: '0 3 * * *', intervalMs: 86400000, nextRun: '2026-06-02T03:00:00.000Z', builtin: true }),
    ]);
  });

  it('moves nextRun with the clock', async () => {
    t.deps.clock.advance(7 * 60_000);
    const res = await t.api().get('/api/scheduler/health-check').expect(200);
    expect(res.body.nextRun).toBe('2026-06-01T12:10:00.000Z');
  });

  it('is served under /v1 too', async () => {
    const res = await t.api().get('/v1/api/scheduler').expect(200);
    expect(res.body).toHaveLength(3);
  });

  it('validates x-org-id and otherwise ignores it (tasks belong to the instance)', async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const scoped = await t.api().get('/api/scheduler').set('x-org-id', 'org-acme').expect(200);
    expect(scoped.body).toHaveLength(3);
    const bad = await t.api().get('/api/scheduler').set('x-org-id', 'Not_Valid').expect(400);
    expect(bad.body.code).toBe('INVALID_ORG_ID');
    const missing = await t.api().get('/api/scheduler').set('x-org-id', 'org-nope').expect(404);
    expect(missing.body.code).toBe('ORG_NOT_FOUND');
  });
});

describe('GET /api/scheduler/:name', () => {
  it('answers one task', async () => {
    const res = await t.api().get('/api/scheduler/audit-cleanup').expect(200);
    expect(res.body).toMatchObject({ name: 'audit-cleanup', enabled: true, runCount: 0 });
  });

  it('answers 404 TASK_NOT_FOUND for an unknown name', async () => {
    const res = await t.api().get('/api/scheduler/nope').expect(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe('POST /api/scheduler/:name/pause and /resume', () => {
  it('pauses without a body or content type: enabled false, nextRun null', async () => {
    const res = await t.api().post('/api/scheduler/health-check/pause').expect(200);
    expect(res.body).toEqual({ name: 'health-check', enabled: false, message: 'Task paused' });
    const task = await t.api().get('/api/scheduler/health-check').expect(200);
    expect(task.body).toMatchObject({ enabled: false, nextRun: null });
  });

  it('is idempotent both ways', async () => {
    await t.api().post('/api/scheduler/audit-cleanup/pause').expect(200);
    const again = await t.api().post('/api/scheduler/audit-cleanup/pause').expect(200);
    expect(again.body).toEqual({ name: 'audit-cleanup', enabled: false, message: 'Task paused' });
    const resumed = await t.api().post('/api/scheduler/audit-cleanup/resume').expect(200);
    expect(resumed.body).toEqual({ name: 'audit-cleanup', enabled: true, message: 'Task resumed' });
    const twice = await t.api().post('/api/scheduler/audit-cleanup/resume').expect(200);
    expect(twice.body).toEqual({ name: 'audit-cleanup', enabled: true, message: 'Task resumed' });
    const task = await t.api().get('/api/scheduler/audit-cleanup').expect(200);
    expect(task.body).toMatchObject({ enabled: true, nextRun: '2026-06-02T03:00:00.000Z' });
  });

  it('audits scheduler_pause and scheduler_resume (medium) to the default org as the actor', async () => {
    await t.api().post('/api/scheduler/health-check/pause').set('x-actor-id', 'slack:U1234ABCD').expect(200);
    await t.api().post('/api/scheduler/health-check/resume').expect(200);
    const [paused] = await auditEntries('scheduler_pause');
    expect(paused).toMatchObject({
      orgId: 'default',
      actorType: 'user',
      actorId: 'slack:U1234ABCD',
      action: 'scheduler_pause',
      result: 'completed',
      risk: 'medium',
      metadata: { task: 'health-check', changed: true },
    });
    const [resumed] = await auditEntries('scheduler_resume');
    expect(resumed).toMatchObject({ orgId: 'default', actorId: 'api', risk: 'medium', metadata: { task: 'health-check', changed: true } });
  });

  it('audits to the default org even when x-org-id names another org', async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/scheduler/health-check/pause').set('x-org-id', 'org-acme').expect(200);
    expect(await auditEntries('scheduler_pause')).toHaveLength(1);
    const acme = await t.api().get('/api/audit').query({ action: 'scheduler_pause' }).set('x-org-id', 'org-acme').expect(200);
    expect(acme.body.total).toBe(0);
  });

  it('answers 404 TASK_NOT_FOUND for an unknown name', async () => {
    expect((await t.api().post('/api/scheduler/nope/pause').expect(404)).body).toEqual(NOT_FOUND);
    expect((await t.api().post('/api/scheduler/nope/resume').expect(404)).body).toEqual(NOT_FOUND);
    expect(await auditEntries('scheduler_pause')).toHaveLength(0);
  });
});

describe('POST /api/scheduler/:name/run', () => {
  it('runs the task now and records the run', async () => {
    const res = await t.api().post('/api/scheduler/build-status-report/run').expect(200);
    expect(res.body).toEqual({ name: 'build-status-report', ok: true, durationMs: expect.any(Number), error: null });
    expect(Number.isInteger(res.body.durationMs) && res.body.durationMs >= 0).toBe(true);
    const task = await t.api().get('/api/scheduler/build-status-report').expect(200);
    expect(task.body).toMatchObject({
      runCount: 1,
      errors: 0,
      lastRun: '2026-06-01T12:00:00.000Z',
      lastError: null,
      lastDurationMs: res.body.durationMs,
    });
  });

  it('runs a paused task, which stays paused', async () => {
    await t.api().post('/api/scheduler/audit-cleanup/pause').expect(200);
    const res = await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    expect(res.body.ok).toBe(true);
    const task = await t.api().get('/api/scheduler/audit-cleanup').expect(200);
    expect(task.body).toMatchObject({ enabled: false, nextRun: null, runCount: 1 });
  });

  it('audits scheduler_run (low) with the outcome', async () => {
    await t.api().post('/api/scheduler/build-status-report/run').set('x-actor-id', 'ci:github-actions').expect(200);
    const [entry] = await auditEntries('scheduler_run');
    expect(entry).toMatchObject({
      orgId: 'default',
      actorType: 'user',
      actorId: 'ci:github-actions',
      result: 'completed',
      risk: 'low',
      metadata: { task: 'build-status-report', ok: true, error: null },
    });
  });

  it('answers 404 TASK_NOT_FOUND for an unknown name', async () => {
    expect((await t.api().post('/api/scheduler/nope/run').expect(404)).body).toEqual(NOT_FOUND);
  });
});

describe('DELETE /api/scheduler/:name', () => {
  it('cancels a task: gone from the list and from every route', async () => {
    const res = await t.api().delete('/api/scheduler/build-status-report').expect(200);
    expect(res.body).toEqual({ name: 'build-status-report', message: 'Task cancelled' });
    const list = await t.api().get('/api/scheduler').expect(200);
    expect(list.body.map((x: { name: string }) => x.name)).toEqual(['health-check', 'audit-cleanup']);
    expect((await t.api().get('/api/scheduler/build-status-report').expect(404)).body).toEqual(NOT_FOUND);
    expect((await t.api().post('/api/scheduler/build-status-report/run').expect(404)).body).toEqual(NOT_FOUND);
    expect((await t.api().delete('/api/scheduler/build-status-report').expect(404)).body).toEqual(NOT_FOUND);
  });

  it('audits scheduler_cancel (medium)', async () => {
    await t.api().delete('/api/scheduler/health-check').set('x-actor-id', 'ops').expect(200);
    const [entry] = await auditEntries('scheduler_cancel');
    expect(entry).toMatchObject({ orgId: 'default', actorType: 'user', actorId: 'ops', risk: 'medium', metadata: { task: 'health-check', builtin: true } });
  });

  it('answers 404 TASK_NOT_FOUND for an unknown name', async () => {
    expect((await t.api().delete('/api/scheduler/nope').expect(404)).body).toEqual(NOT_FOUND);
  });
});

describe('wrong method on a scheduler path', () => {
  it('answers 405 with Allow', async () => {
    const res = await t.api().put('/api/scheduler/health-check').send({}).expect(405);
    expect(res.headers.allow).toBe('GET, HEAD, DELETE');
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
  });
});
