import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { parseSamples, valueOf, type Sample } from '../helpers/prometheus.js';
import { createPrometheusMetrics } from '../../src/metrics/prometheus.js';

let t: TestApp;
afterEach(async () => await t.close());

const scrape = async (): Promise<Sample[]> => parseSamples((await t.api().get('/metrics').expect(200)).text);
const deliveries = (samples: Sample[], event: string, outcome: string) => valueOf(samples, 'webhook_deliveries_total', { source: 'github', event, outcome });

describe('webhook_deliveries_total', () => {
  it('counts each answered delivery by event and outcome', async () => {
    t = await makeTestApp();
    const post = (event: string, body: unknown, delivery?: string) => {
      const req = t.api().post('/webhooks/github').set('x-github-event', event);
      if (delivery) req.set('x-github-delivery', delivery);
      return req.send(body as object);
    };
    await post('ping', { zen: 'one' }, 'd-1').expect(200);
    expect((await post('ping', { zen: 'two' }, 'd-1').expect(200)).body).toMatchObject({ duplicate: true });
    const push = { ref: 'refs/heads/main', repository: { full_name: 'acme/unlinked' }, pusher: { name: 'octocat' }, commits: [] };
    expect((await post('push', push).expect(200)).body).toMatchObject({ processed: false, reason: 'Repository not linked' });
    await post('issues', { action: 'opened' }).expect(200);
    await post('push', [1, 2]).expect(400);
    await t.api().post('/webhooks/github/default').set('x-github-event', 'push').send({}).expect(401);
    const samples = await scrape();
    expect(deliveries(samples, 'ping', 'processed')).toBe(1);
    expect(deliveries(samples, 'ping', 'duplicate')).toBe(1);
    expect(deliveries(samples, 'push', 'ignored')).toBe(1);
    expect(deliveries(samples, 'other', 'ignored')).toBe(1);
    expect(deliveries(samples, 'push', 'rejected')).toBe(2);
    expect(samples.some((s) => s.name === 'webhook_deliveries_total' && s.labels.event === 'issues')).toBe(false);
  });

  it('keeps event names a sender makes up out of the labels', async () => {
    t = await makeTestApp();
    for (let i = 0; i < 20; i++) await t.api().post('/webhooks/github').set('x-github-event', `made-up-${i}`).send({}).expect(200);
    const events = new Set((await scrape()).filter((s) => s.name === 'webhook_deliveries_total').map((s) => s.labels.event));
    expect([...events]).toEqual(['other']);
  });

  it('counts a delivery the server fails on as failed', async () => {
    t = await makeTestApp();
    await t.deps.engine.close();
    const res = await t.api().post('/webhooks/github').set('x-github-event', 'ping').send({ zen: 'z' });
    expect(res.status).toBe(500);
    expect(deliveries(await scrape(), 'ping', 'failed')).toBe(1);
  });
});

describe('audit_entries_appended_total', () => {
  it('counts every entry this process appends', async () => {
    t = await makeTestApp();
    expect(valueOf(await scrape(), 'audit_entries_appended_total')).toBe(0);
    await t.api().post('/api/agents').set('x-org-id', 'default').send({ name: 'A', type: 'task' }).expect(201);
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const total = (await t.api().get('/api/audit').expect(200)).body.total as number;
    expect(total).toBeGreaterThanOrEqual(2);
    expect(valueOf(await scrape(), 'audit_entries_appended_total')).toBe(total);
  });
});

describe('scheduler_runs_total', () => {
  it('counts runs by task and result', async () => {
    t = await makeTestApp({
      env: { GITHUB_TOKEN: 'ghp_test' },
      ports: {
        projects: {
          listForBuildReport: () => {
            throw new Error('projects unavailable');
          },
          setLastBuild: () => undefined,
        },
      },
    });
    await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    expect((await t.api().post('/api/scheduler/build-status-report/run').expect(200)).body).toMatchObject({ ok: false });
    const samples = await scrape();
    expect(valueOf(samples, 'scheduler_runs_total', { task: 'audit-cleanup', ok: 'true' })).toBe(2);
    expect(valueOf(samples, 'scheduler_runs_total', { task: 'build-status-report', ok: 'false' })).toBe(1);
  });
});

describe('the Prometheus Metrics port (unit)', () => {
  it('bounds the labels callers pass through, and moves the event-stream gauge both ways', async () => {
    const m = createPrometheusMetrics();
    for (let i = 0; i < 200; i++) {
      m.port.webhookDelivery('deploy', `event_${i}`, 'processed');
      m.port.schedulerRun(`task-${i}`, true);
    }
    m.port.schedulerRun('not a {label}', false);
    m.port.eventStreamOpened();
    m.port.eventStreamOpened();
    m.port.eventStreamClosed();
    const samples = parseSamples(await m.scrape());
    const events = new Set(samples.filter((s) => s.name === 'webhook_deliveries_total').map((s) => s.labels.event));
    const tasks = new Set(samples.filter((s) => s.name === 'scheduler_runs_total').map((s) => s.labels.task));
    expect(events.size).toBe(65);
    expect(events.has('other')).toBe(true);
    expect(tasks.size).toBe(65);
    expect(valueOf(samples, 'scheduler_runs_total', { task: 'other', ok: 'false' })).toBe(1);
    expect(valueOf(samples, 'webhook_deliveries_total', { source: 'deploy', event: 'other', outcome: 'processed' })).toBe(136);
    expect(valueOf(samples, 'event_streams_open')).toBe(1);
  });
});
