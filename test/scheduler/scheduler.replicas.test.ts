import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { makeTestEngine } from '../helpers/deps.js';
import type { Engine } from '../../src/db/engine.js';

// Two apps over one database behave as two replicas: what one does to a task, the other sees.

const opened: TestApp[] = [];
const engines: Engine[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.services.scheduler.stop();
  for (const e of engines.splice(0)) await e.close();
});

async function replicas(env: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const engine = await makeTestEngine({ DATABASE_PATH: ':memory:' });
  engines.push(engine);
  const make = () => makeTestApp({ engine, env: { SCHEDULER_ENABLED: 'true', ...env } });
  const pair: [TestApp, TestApp] = [await make(), await make()];
  opened.push(...pair);
  return pair;
}

const TICK = new Date('2026-06-01T12:05:00.000Z');

describe('scheduled tasks shared by replicas over one database', () => {
  it('runs a tick on one replica only, however many fire it', async () => {
    const [a, b] = await replicas();
    const outcomes = await Promise.all([a.services.scheduler.fire('audit-cleanup', TICK), b.services.scheduler.fire('audit-cleanup', TICK)]);
    expect(outcomes.filter((o) => 'ok' in o)).toHaveLength(1);
    expect(outcomes.filter((o) => 'skipped' in o)).toEqual([{ name: 'audit-cleanup', skipped: 'taken' }]);
    // An older tick arriving late is taken too: ticks only move forward.
    expect(await b.services.scheduler.fire('audit-cleanup', new Date('2026-06-01T12:04:00.000Z'))).toEqual({ name: 'audit-cleanup', skipped: 'taken' });
    expect(await b.services.scheduler.fire('audit-cleanup', new Date('2026-06-01T12:06:00.000Z'))).toMatchObject({ ok: true });
    expect((await a.api().get('/api/scheduler/audit-cleanup').expect(200)).body.runCount).toBe(2);
  });

  it('shares pause and resume: a task paused on one replica is shown paused and never fired on the other', async () => {
    const [a, b] = await replicas();
    await a.api().post('/api/scheduler/audit-cleanup/pause').expect(200);
    expect((await b.api().get('/api/scheduler/audit-cleanup').expect(200)).body).toMatchObject({ enabled: false, nextRun: null });
    expect(await b.services.scheduler.fire('audit-cleanup', TICK)).toEqual({ name: 'audit-cleanup', skipped: 'paused' });
    const resumed = await b.api().post('/api/scheduler/audit-cleanup/resume').expect(200);
    expect(resumed.body).toEqual({ name: 'audit-cleanup', enabled: true, message: 'Task resumed' });
    expect(await a.services.scheduler.fire('audit-cleanup', TICK)).toMatchObject({ ok: true });
  });

  it('drops a task cancelled on another replica from the list, answers 404 for it, and stops firing it', async () => {
    const [a, b] = await replicas();
    await a.api().delete('/api/scheduler/build-status-report').expect(200);
    const names = (await b.api().get('/api/scheduler').expect(200)).body.map((t: { name: string }) => t.name);
    expect(names).toEqual(['health-check', 'audit-cleanup']);
    const gone = await b.api().get('/api/scheduler/build-status-report').expect(404);
    expect(gone.body).toEqual({ error: 'Task not found', code: 'TASK_NOT_FOUND', status: 404 });
    await a.api().delete('/api/scheduler/audit-cleanup').expect(200);
    expect(await b.services.scheduler.fire('audit-cleanup', TICK)).toEqual({ name: 'audit-cleanup', skipped: 'cancelled' });
    await b.api().post('/api/scheduler/audit-cleanup/run').expect(404);
  });

  it('runs health-check\'s own part on a replica that did not take the tick (its /health stays current)', async () => {
    const [a, b] = await replicas();
    expect((await b.api().get('/health').expect(200)).body.checks.database.checkedAt).toBeUndefined();
    expect(await a.services.scheduler.fire('health-check', TICK)).toMatchObject({ ok: true });
    expect(await b.services.scheduler.fire('health-check', TICK)).toEqual({ name: 'health-check', skipped: 'taken' });
    expect((await b.api().get('/health').expect(200)).body.checks.database).toMatchObject({ status: 'ok', checkedAt: '2026-06-01T12:00:00.000Z' });
    expect((await b.api().get('/api/scheduler/health-check').expect(200)).body.runCount).toBe(1);
  });
});

describe('SCHEDULER_SCHEDULES', () => {
  it('replaces a built-in schedule, seconds field included, with intervalMs and nextRun from it', async () => {
    const [a] = await replicas({ SCHEDULER_SCHEDULES: 'health-check=*/10 * * * * *; audit-cleanup=0 4 * * *' });
    const list = (await a.api().get('/api/scheduler').expect(200)).body as Array<Record<string, unknown>>;
    expect(list.map((t) => [t.name, t.schedule, t.intervalMs, t.nextRun])).toEqual([
      ['health-check', '*/10 * * * * *', 10_000, '2026-06-01T12:00:10.000Z'],
      ['build-status-report', '0 6 * * *', 86_400_000, '2026-06-02T06:00:00.000Z'],
      ['audit-cleanup', '0 4 * * *', 86_400_000, '2026-06-02T04:00:00.000Z'],
    ]);
  });

  it.each([
    ['nightly=0 3 * * *', /SCHEDULER_SCHEDULES each entry must be task=cron/],
    ['health-check', /SCHEDULER_SCHEDULES each entry must be task=cron/],
    ['health-check=* * *', /SCHEDULER_SCHEDULES has a bad schedule for health-check: .*5 fields/],
    ['audit-cleanup=61 * * * *', /SCHEDULER_SCHEDULES has a bad schedule for audit-cleanup: Invalid cron/],
    ['audit-cleanup=0 3 * * *;audit-cleanup=0 4 * * *', /once per task/],
  ])('refuses %s at start-up, naming the variable', (value, message) => {
    expect(() => loadConfig({ SCHEDULER_SCHEDULES: value })).toThrow(ConfigError);
    expect(() => loadConfig({ SCHEDULER_SCHEDULES: value })).toThrow(message);
  });

  it('checks REDIS_URL is a redis URL and never echoes it', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://:pw@cache:6379' })).toThrow(/^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/);
    expect(loadConfig({ REDIS_URL: 'rediss://default:pw@cache.internal:6380' }).REDIS_URL).toBe('rediss://default:pw@cache.internal:6380');
  });
});
