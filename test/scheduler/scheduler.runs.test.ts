import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cron from 'node-cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';
import { createSchedulerService, type TaskDefinition } from '../../src/scheduler/scheduler.service.js';
import { sqliteEngineOver } from '../../src/db/sqlite/engine.js';
import { ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';

const opened: TestApp[] = [];
const app = async (env: Record<string, string> = {}, file?: string): Promise<TestApp> => {
  const t = await makeTestApp({ env: { SCHEDULER_ENABLED: 'true', ...env }, ...(file ? { db: openTestDb(file) } : {}) });
  opened.push(t);
  return t;
};
afterEach(async () => {
  for (const t of opened.splice(0)) {
    await t.services.scheduler.stop();
    t.close();
  }
});

const task = (name: string, handler: TaskDefinition['handler']): TaskDefinition => ({
  name,
  schedule: '* * * * *',
  intervalMs: 60_000,
  builtin: false,
  handler,
});

/** A promise the test settles by hand: a task that runs as long as the test wants. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('with SCHEDULER_ENABLED=false', () => {
  it('registers the tasks, reports every nextRun as null and never fires on its own', async () => {
    const t = await app({ SCHEDULER_ENABLED: 'false' });
    const list = await t.api().get('/api/scheduler').expect(200);
    expect(list.body.map((x: { name: string; nextRun: null }) => [x.name, x.nextRun])).toEqual([
      ['health-check', null],
      ['build-status-report', null],
      ['audit-cleanup', null],
    ]);
    t.services.scheduler.start();
    expect(cron.getTasks().size).toBe(0);
    expect(await t.services.scheduler.fire('health-check')).toEqual({ name: 'health-check', skipped: 'disabled' });
    const task = await t.api().get('/api/scheduler/health-check').expect(200);
    expect(task.body.runCount).toBe(0);
  });

  it('still runs a task on demand', async () => {
    const t = await app({ SCHEDULER_ENABLED: 'false' });
    const res = await t.api().post('/api/scheduler/health-check/run').expect(200);
    expect(res.body).toMatchObject({ name: 'health-check', ok: true, error: null });
    expect((await t.api().get('/api/scheduler/health-check').expect(200)).body).toMatchObject({ runCount: 1, nextRun: null });
  });
});

describe('scheduled firing', () => {
  it('runs the task, stamps lastRun from the clock and counts it', async () => {
    const t = await app();
    t.deps.clock.set('2026-06-01T12:05:00.000Z');
    const outcome = await t.services.scheduler.fire('audit-cleanup');
    expect(outcome).toMatchObject({ name: 'audit-cleanup', ok: true, error: null });
    const res = await t.api().get('/api/scheduler/audit-cleanup').expect(200);
    expect(res.body).toMatchObject({ runCount: 1, errors: 0, lastRun: '2026-06-01T12:05:00.000Z', lastDurationMs: expect.any(Number) });
  });

  it('never fires a paused task, which keeps nextRun null', async () => {
    const t = await app();
    let runs = 0;
    (await t.services.scheduler.register(task('counter', () => void runs++)));
    await t.api().post('/api/scheduler/counter/pause').expect(200);
    expect(await t.services.scheduler.fire('counter')).toEqual({ name: 'counter', skipped: 'paused' });
    expect(runs).toBe(0);
    expect((await t.api().get('/api/scheduler/counter').expect(200)).body).toMatchObject({ enabled: false, nextRun: null, runCount: 0 });
    await t.api().post('/api/scheduler/counter/resume').expect(200);
    await t.services.scheduler.fire('counter');
    expect(runs).toBe(1);
  });
});

describe('a task that fails', () => {
  it('is counted in errors with lastError and logged, while the others still run', async () => {
    const t = await makeTestApp({ env: { SCHEDULER_ENABLED: 'true' }, captureLogs: true });
    opened.push(t);
    const ran: string[] = [];
    (await t.services.scheduler.register(task('boom', () => {
      throw new Error('disk on fire');
    })));
    (await t.services.scheduler.register(task('async-boom', async () => {
      await Promise.resolve();
      throw new Error('remote said no');
    })));
    (await t.services.scheduler.register(task('steady', () => void ran.push('steady'))));

    const outcomes = await Promise.all(['boom', 'async-boom', 'steady', 'health-check'].map((n) => t.services.scheduler.fire(n)));
    expect(outcomes.map((o) => ('ok' in o ? o.ok : o.skipped))).toEqual([false, false, true, true]);
    expect(ran).toEqual(['steady']);

    const boom = await t.api().get('/api/scheduler/boom').expect(200);
    expect(boom.body).toMatchObject({ runCount: 1, errors: 1, lastError: 'disk on fire', enabled: true });
    const asyncBoom = await t.api().get('/api/scheduler/async-boom').expect(200);
    expect(asyncBoom.body).toMatchObject({ runCount: 1, errors: 1, lastError: 'remote said no' });
    const steady = await t.api().get('/api/scheduler/steady').expect(200);
    expect(steady.body).toMatchObject({ runCount: 1, errors: 0, lastError: null });

    const line = t.deps.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'scheduled task failed' && l.task === 'boom');
    expect(line).toMatchObject({ level: 50, err: { message: 'disk on fire' } });
  });

  it('answers /run with ok false and the error, audited as failed', async () => {
    const t = await app();
    (await t.services.scheduler.register(task('boom', () => {
      throw new Error('disk on fire');
    })));
    const res = await t.api().post('/api/scheduler/boom/run').expect(200);
    expect(res.body).toEqual({ name: 'boom', ok: false, durationMs: expect.any(Number), error: 'disk on fire' });
    const audit = await t.api().get('/api/audit').query({ action: 'scheduler_run' }).set('x-org-id', 'default').expect(200);
    expect(audit.body.entries[0]).toMatchObject({ result: 'failed', metadata: { task: 'boom', ok: false, error: 'disk on fire' } });
  });

  it('keeps the error count but clears lastError once a run succeeds', async () => {
    const t = await app();
    let fail = true;
    (await t.services.scheduler.register(task('flaky', () => {
      if (fail) throw new Error('flaked');
    })));
    await t.services.scheduler.fire('flaky');
    fail = false;
    await t.services.scheduler.fire('flaky');
    const res = await t.api().get('/api/scheduler/flaky').expect(200);
    expect(res.body).toMatchObject({ runCount: 2, errors: 1, lastError: null });
  });
});

describe('overlap', () => {
  it('never runs a slow task twice at once: firings during a run are skipped, /run answers 409 TASK_RUNNING', async () => {
    const t = await app();
    const slow = gate();
    let active = 0;
    let maxActive = 0;
    let started = 0;
    (await t.services.scheduler.register(task('slow', async () => {
      started++;
      active++;
      maxActive = Math.max(maxActive, active);
      await slow.opened;
      active--;
    })));

    const first = t.services.scheduler.fire('slow');
    expect(await t.services.scheduler.fire('slow')).toEqual({ name: 'slow', skipped: 'running' });
    const auditBefore = (await t.api().get('/api/audit?action=scheduler_run').expect(200)).body.total;
    const during = await t.api().post('/api/scheduler/slow/run').expect(409);
    expect(during.body).toEqual({ error: 'Task is already running', code: 'TASK_RUNNING', status: 409 });
    expect((await t.api().get('/api/audit?action=scheduler_run').expect(200)).body.total).toBe(auditBefore);

    slow.open();
    expect(await first).toMatchObject({ ok: true });
    expect(started).toBe(1);
    expect(maxActive).toBe(1);
    expect((await t.api().get('/api/scheduler/slow').expect(200)).body).toMatchObject({ runCount: 1, errors: 0 });

    // Once it finished, the next firing runs again.
    expect(await t.services.scheduler.fire('slow')).toMatchObject({ ok: true });
    expect(started).toBe(2);
  });
});

describe('persistence across restarts', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-scheduler-'));
    file = path.join(dir, 'codespar.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const restart = async (t: TestApp): Promise<TestApp> => {
    await t.services.scheduler.stop();
    t.close();
    return await app({}, file);
  };

  it('keeps a paused task paused: enabled false, nextRun null, never fired', async () => {
    const first = await app({}, file);
    await first.api().post('/api/scheduler/health-check/pause').expect(200);
    const second = await restart(first);
    const res = await second.api().get('/api/scheduler/health-check').expect(200);
    expect(res.body).toMatchObject({ enabled: false, nextRun: null });
    expect((await second.api().get('/api/scheduler/audit-cleanup').expect(200)).body.nextRun).toBe('2026-06-02T03:00:00.000Z');
    expect(await second.services.scheduler.fire('health-check')).toEqual({ name: 'health-check', skipped: 'paused' });
    // Still armed (a resume on another replica must reach it), but its firings are skipped.
    second.services.scheduler.start();
    expect(await second.services.scheduler.fire('health-check', new Date('2026-06-01T12:05:00Z'))).toEqual({ name: 'health-check', skipped: 'paused' });
    expect((await second.api().get('/api/scheduler/health-check').expect(200)).body.runCount).toBe(0);
  });

  it('keeps counters, lastRun and lastError', async () => {
    const first = await app({}, file);
    await first.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    await first.services.scheduler.fire('audit-cleanup');
    const before = (await first.api().get('/api/scheduler/audit-cleanup').expect(200)).body;
    const second = await restart(first);
    const after = (await second.api().get('/api/scheduler/audit-cleanup').expect(200)).body;
    expect(after).toEqual(before);
    expect(after).toMatchObject({ runCount: 2, errors: 0, lastRun: '2026-06-01T12:00:00.000Z' });
  });

  it('brings a cancelled built-in back at the next start, enabled and with a fresh history', async () => {
    const first = await app({}, file);
    await first.api().post('/api/scheduler/build-status-report/run').expect(200);
    await first.api().post('/api/scheduler/build-status-report/pause').expect(200);
    await first.api().delete('/api/scheduler/build-status-report').expect(200);
    await first.api().get('/api/scheduler/build-status-report').expect(404);
    const second = await restart(first);
    const res = await second.api().get('/api/scheduler/build-status-report').expect(200);
    expect(res.body).toMatchObject({ builtin: true, enabled: true, runCount: 0, lastRun: null, nextRun: '2026-06-02T06:00:00.000Z' });
    const names = (await second.api().get('/api/scheduler').expect(200)).body.map((x: { name: string }) => x.name);
    expect(names).toEqual(['health-check', 'build-status-report', 'audit-cleanup']);
  });
});

describe('start and stop (node-cron)', () => {
  const armed = () => [...cron.getTasks().values()].map((x) => x.name).sort();

  it('arms one cron task per task, paused or not, disarms a cancelled one, and stop disarms all', async () => {
    const t = await app();
    t.services.scheduler.start();
    expect(armed()).toEqual(['audit-cleanup', 'build-status-report', 'health-check']);
    await t.api().post('/api/scheduler/health-check/pause').expect(200);
    expect(armed()).toEqual(['audit-cleanup', 'build-status-report', 'health-check']);
    await t.api().post('/api/scheduler/health-check/resume').expect(200);
    expect(armed()).toEqual(['audit-cleanup', 'build-status-report', 'health-check']);
    await t.api().delete('/api/scheduler/audit-cleanup').expect(200);
    expect(armed()).toEqual(['build-status-report', 'health-check']);
    await t.services.scheduler.stop();
    expect(armed()).toEqual([]);
    expect(await t.services.scheduler.fire('health-check')).toEqual({ name: 'health-check', skipped: 'stopped' });
  });

  it('runs the task when its cron task fires', async () => {
    const t = await app();
    t.services.scheduler.start();
    const cronTask = [...cron.getTasks().values()].find((x) => x.name === 'health-check')!;
    await cronTask.execute();
    await vi.waitFor(async () => {
      expect((await t.api().get('/api/scheduler/health-check').expect(200)).body.runCount).toBe(1);
    });
  });

  it('reports itself on /health', async () => {
    const t = await app();
    expect((await t.api().get('/health').expect(200)).body.checks.scheduler).toMatchObject({ status: 'ok', enabled: true, running: false, tasks: 3 });
    t.services.scheduler.start();
    await t.api().post('/api/scheduler/audit-cleanup/pause').expect(200);
    expect((await t.api().get('/health').expect(200)).body.checks.scheduler).toEqual({ status: 'ok', enabled: true, running: true, tasks: 3, paused: 1 });
  });

  it('lets a run in flight finish and record itself before stop resolves', async () => {
    const t = await app();
    const slow = gate();
    (await t.services.scheduler.register(task('slow', () => slow.opened)));
    t.services.scheduler.start();
    const run = t.services.scheduler.fire('slow');
    let stopped = false;
    const stopping = t.services.scheduler.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    slow.open();
    await stopping;
    await run;
    expect(await t.services.scheduler.get('slow')).toMatchObject({ runCount: 1 });
  });
});

describe('stop with a run that never ends', () => {
  it('gives up waiting after drainMs so shutdown can proceed', async () => {
    const db = openTestDb();
    try {
      const scheduler = createSchedulerService({
        uow: sqliteEngineOver(db).uow,
        audit: { append: () => ({}) as never },
        clock: new ManualClock(),
        logger: createLogger('silent'),
        health: { update: () => {} },
        enabled: true,
        driver: () => ({ disarm: async () => {} }),
        drainMs: 20,
      });
      await scheduler.register(task('stuck', () => new Promise(() => {})));
      scheduler.start();
      void scheduler.fire('stuck');
      await scheduler.stop();
      expect(scheduler.isStarted()).toBe(false);
      expect((await scheduler.get('stuck')).runCount).toBe(0);
    } finally {
      db.close();
    }
  });
});
