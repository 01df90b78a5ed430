import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { TEST_ENGINE } from '../helpers/deps.js';
import { sendJson, startStub, type Stub, type StubHandler } from '../helpers/stub-server.js';
import type { ChannelsHealthPort } from '../../src/scheduler/scheduler.ports.js';
import { healthCheckTask } from '../../src/scheduler/tasks/health-check.task.js';
import { createHealthService } from '../../src/health/health.service.js';
import { ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';

/**
 * A channels port the way the channels domain will implement it for one enabled channel:
 * a reconnect is one `getMe` call to the platform (here a local Telegram stub).
 */
function telegramChannels(stub: Stub): ChannelsHealthPort {
  return {
    async reconnectDisconnected() {
      const up = await fetch(`${stub.url}/bot123:abc/getMe`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.ok)
        .catch(() => false);
      return { enabled: ['telegram'], disconnected: up ? [] : ['telegram'] };
    },
  };
}

const telegramUp: StubHandler = (_req, res) => sendJson(res, 200, { ok: true, result: { id: 1, is_bot: true } });
const telegramDown: StubHandler = (_req, res) => sendJson(res, 502, { ok: false, description: 'Bad Gateway' });

let stub: Stub;
let t: TestApp;
let agentsInError = 0;
beforeEach(async () => {
  stub = await startStub(telegramUp);
  agentsInError = 0;
  t = await makeTestApp({ ports: { channels: telegramChannels(stub), agents: { countInError: () => agentsInError } } });
});
afterEach(async () => {
  t.close();
  await stub.close();
});

const runHealthCheck = async () => (await t.api().post('/api/scheduler/health-check/run').expect(200)).body as { ok: boolean };
const degradedEntries = async () =>
  (await t.api().get('/api/audit').query({ action: 'health_degraded' }).set('x-org-id', 'default').expect(200)).body.entries as Array<Record<string, unknown>>;

describe('health-check', () => {
  it('feeds GET /health: ok with every check named when all is well', async () => {
    expect((await runHealthCheck()).ok).toBe(true);
    const res = await t.api().get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', version: '0.0.0-test' });
    expect(Object.keys(res.body.checks).sort()).toEqual(['agents', 'channels', 'database', 'scheduler']);
    expect(res.body.checks).toMatchObject({
      database: { status: 'ok' },
      channels: { status: 'ok', enabled: ['telegram'], disconnected: [] },
      agents: { status: 'ok', inError: 0 },
      scheduler: { status: 'ok' },
    });
    expect(stub.requests.map((r) => r.path)).toEqual(['/bot123:abc/getMe']);
  });

  it('turns /health degraded when an enabled channel is down, and appends health_degraded once', async () => {
    await runHealthCheck();
    stub.handle(telegramDown);
    expect((await runHealthCheck()).ok).toBe(true);
    const res = await t.api().get('/health').expect(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.channels).toMatchObject({ status: 'degraded', enabled: ['telegram'], disconnected: ['telegram'] });

    await runHealthCheck();
    await runHealthCheck();
    const entries = await degradedEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      orgId: 'default',
      actorType: 'system',
      actorId: 'health-check',
      action: 'health_degraded',
      risk: 'low',
      metadata: { database: 'ok', channelsDisconnected: ['telegram'], agentsInError: 0 },
    });
    expect(stub.requests).toHaveLength(4);
  });

  it('recovers to ok, and a new fall appends a new entry', async () => {
    stub.handle(telegramDown);
    await runHealthCheck();
    stub.handle(telegramUp);
    await runHealthCheck();
    expect((await t.api().get('/health').expect(200)).body.status).toBe('ok');
    expect(await degradedEntries()).toHaveLength(1);
    await stub.close();
    await runHealthCheck();
    expect((await t.api().get('/health').expect(200)).body.status).toBe('degraded');
    expect(await degradedEntries()).toHaveLength(2);
  });

  it('turns /health degraded when an agent is in ERROR', async () => {
    agentsInError = 2;
    await runHealthCheck();
    const res = await t.api().get('/health').expect(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.agents).toMatchObject({ status: 'degraded', inError: 2 });
    expect((await degradedEntries())[0]).toMatchObject({ metadata: { agentsInError: 2, channelsDisconnected: [] } });
  });

  it('turns /health degraded when the database is gone, and the failed run hurts nothing else', async () => {
    const live = await makeTestApp({ env: { SCHEDULER_ENABLED: 'true' }, ports: { channels: telegramChannels(stub) } });
    try {
      await live.deps.engine.close();
      const outcome = await live.services.scheduler.fire('health-check');
      // The run itself failed: health_degraded could not be written to the closed engine.
      expect(outcome).toMatchObject({ name: 'health-check', ok: false });
      const res = await live.api().get('/health').expect(200);
      expect(res.body.status).toBe('degraded');
      expect(res.body.checks.database).toMatchObject({ status: 'degraded', error: 'Database query failed' });
      // The engine's name is part of the contract; nothing else about the database shows.
      expect(res.body.checks.database.engine).toBe(TEST_ENGINE);
      expect(JSON.stringify({ ...res.body, checks: { ...res.body.checks, database: { ...res.body.checks.database, engine: undefined } } })).not.toMatch(/sqlite|postgres|pool|connection|\.db/i);
    } finally {
      await live.close().catch(() => undefined);
    }
  });

  it('is degraded without leaking details when the database query fails', async () => {
    const clock = new ManualClock();
    const health = createHealthService({ clock, version: 'x', startedAt: clock.now(), engine: 'sqlite' });
    const appended: unknown[] = [];
    const task = healthCheckTask({
      ping: () => {
        throw new Error('SQLITE_IOERR: disk I/O error at /var/data/codespar.db');
      },
      channels: { reconnectDisconnected: async () => ({ enabled: [], disconnected: [] }) },
      agents: { countInError: () => 0 },
      health,
      audit: { append: (e) => (appended.push(e), {} as never) },
      clock,
      logger: createLogger('silent'),
    });
    await task.handler();
    expect(health.report().status).toBe('degraded');
    expect(health.checks().database).toEqual({ status: 'degraded', checkedAt: clock.now().toISOString(), error: 'Database query failed', engine: 'sqlite' });
    expect(appended).toHaveLength(1);
  });

  it('answers /health without a run yet: database ok, the rest unknown', async () => {
    const res = await t.api().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks).toMatchObject({ database: { status: 'ok' }, channels: { status: 'unknown' }, agents: { status: 'unknown' } });
  });
});
