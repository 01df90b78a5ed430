import { execSql } from '../helpers/engine-db.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';

const T0 = '2026-06-01T12:00:00.000Z';
const AUTONOMY_MESSAGE = 'Autonomy level must be between 0 and 5';
const ACTION_MESSAGE = 'Invalid action. Must be one of: suspend, resume, restart, set_autonomy';

let t: TestApp;
let agentId: string;
beforeEach(async () => {
  t = await makeTestApp();
  agentId = (await t.api().post('/api/agents').send({ name: 'Worker', type: 'task' }).expect(201)).body.id;
});
afterEach(() => t.close());

const act = (body: unknown, id = agentId, headers: Record<string, string> = {}) =>
  t.api().post(`/api/agents/${id}/action`).set(headers).send(body as object);

const getAgent = async (id = agentId) => (await t.api().get(`/api/agents/${id}`).expect(200)).body;

const auditEntries = async (query: Record<string, string>) =>
  (await t.api().get('/api/audit').query(query).expect(200)).body.entries as Array<Record<string, unknown>>;

describe('POST /api/agents/:id/action suspend and resume', () => {
  it('suspends an ACTIVE agent', async () => {
    t.deps.clock.advance(1_000);
    const res = await act({ action: 'suspend' }).expect(200);
    expect(res.body).toEqual({
      id: agentId,
      action: 'suspend',
      previousStatus: 'ACTIVE',
      currentStatus: 'SUSPENDED',
      timestamp: '2026-06-01T12:00:01.000Z',
    });
    expect(await getAgent()).toMatchObject({ status: 'SUSPENDED', lastActivity: '2026-06-01T12:00:01.000Z' });
  });

  it('is idempotent: a repeated suspend answers 200 with previousStatus equal to currentStatus', async () => {
    await act({ action: 'suspend' }).expect(200);
    const res = await act({ action: 'suspend' }).expect(200);
    expect(res.body).toMatchObject({ action: 'suspend', previousStatus: 'SUSPENDED', currentStatus: 'SUSPENDED' });
    expect(await auditEntries({ action: 'suspend' })).toHaveLength(2);
  });

  it('resumes a SUSPENDED agent', async () => {
    await act({ action: 'suspend' }).expect(200);
    const res = await act({ action: 'resume' }).expect(200);
    expect(res.body).toEqual({ id: agentId, action: 'resume', previousStatus: 'SUSPENDED', currentStatus: 'ACTIVE', timestamp: T0 });
    expect((await getAgent()).status).toBe('ACTIVE');
  });

  it('is idempotent: resuming an ACTIVE agent answers 200 with previousStatus equal to currentStatus', async () => {
    const res = await act({ action: 'resume' }).expect(200);
    expect(res.body).toMatchObject({ action: 'resume', previousStatus: 'ACTIVE', currentStatus: 'ACTIVE' });
  });

  it('accepts an action without params and with empty params', async () => {
    await act({ action: 'suspend', params: {} }).expect(200);
  });
});

describe('POST /api/agents/:id/action restart', () => {
  it('answers uptime 0 and starts the uptime again', async () => {
    t.deps.clock.advance(120_000);
    expect((await getAgent()).uptime).toBe(120);
    const res = await act({ action: 'restart' }).expect(200);
    expect(res.body).toEqual({
      id: agentId,
      action: 'restart',
      previousStatus: 'ACTIVE',
      currentStatus: 'ACTIVE',
      timestamp: '2026-06-01T12:02:00.000Z',
      uptime: 0,
    });
    expect((await getAgent()).uptime).toBe(0);
    t.deps.clock.advance(7_000);
    expect((await getAgent()).uptime).toBe(7);
  });

  it('brings a SUSPENDED agent back to ACTIVE', async () => {
    await act({ action: 'suspend' }).expect(200);
    const res = await act({ action: 'restart' }).expect(200);
    expect(res.body).toMatchObject({ previousStatus: 'SUSPENDED', currentStatus: 'ACTIVE', uptime: 0 });
  });

  it('works out of ERROR', async () => {
    // No route puts an agent into ERROR; the health check finds such agents.
    await execSql(t, "UPDATE agents SET status = 'ERROR' WHERE id = ?", agentId);
    t.deps.clock.advance(60_000);
    expect(await getAgent()).toMatchObject({ status: 'ERROR', uptime: 60 });
    const res = await act({ action: 'restart' }).expect(200);
    expect(res.body).toMatchObject({ previousStatus: 'ERROR', currentStatus: 'ACTIVE', uptime: 0 });
    expect(await getAgent()).toMatchObject({ status: 'ACTIVE', uptime: 0 });
    const [entry] = await auditEntries({ action: 'restart' });
    expect(entry!.metadata).toEqual({ agentId, previousStatus: 'ERROR', newStatus: 'ACTIVE' });
  });
});

describe('POST /api/agents/:id/action set_autonomy', () => {
  it('sets the level and answers previousLevel and currentLevel', async () => {
    t.deps.clock.advance(2_000);
    const res = await act({ action: 'set_autonomy', params: { level: 4 } }).expect(200);
    expect(res.body).toEqual({
      id: agentId,
      action: 'set_autonomy',
      previousLevel: 1,
      currentLevel: 4,
      timestamp: '2026-06-01T12:00:02.000Z',
    });
    expect(await getAgent()).toMatchObject({ autonomyLevel: 4, lastActivity: '2026-06-01T12:00:02.000Z' });
  });

  it.each([0, 5])('accepts level %i', async (level) => {
    const res = await act({ action: 'set_autonomy', params: { level } }).expect(200);
    expect(res.body.currentLevel).toBe(level);
  });

  it('accepts setting the same level again', async () => {
    const res = await act({ action: 'set_autonomy', params: { level: 1 } }).expect(200);
    expect(res.body).toMatchObject({ previousLevel: 1, currentLevel: 1 });
  });

  it.each([
    ['-1', { level: -1 }],
    ['6', { level: 6 }],
    ['2.5', { level: 2.5 }],
    ['"3"', { level: '3' }],
    ['null', { level: null }],
    ['missing', {}],
    ['missing params', undefined],
  ])('answers 400 INVALID_AUTONOMY_LEVEL for level %s and changes nothing', async (_label, params) => {
    const res = await act({ action: 'set_autonomy', ...(params === undefined ? {} : { params }) }).expect(400);
    expect(res.body).toMatchObject({ error: AUTONOMY_MESSAGE, code: 'INVALID_AUTONOMY_LEVEL', status: 400 });
    expect(res.body.details[0].path).toBe('body.params.level');
    expect((await getAgent()).autonomyLevel).toBe(1);
    expect(await auditEntries({ action: 'autonomy_change' })).toEqual([]);
  });

  it('answers 400 INVALID_AUTONOMY_LEVEL when params is not an object', async () => {
    const res = await act({ action: 'set_autonomy', params: 3 }).expect(400);
    expect(res.body).toMatchObject({ error: AUTONOMY_MESSAGE, code: 'INVALID_AUTONOMY_LEVEL' });
  });
});

describe('POST /api/agents/:id/action errors', () => {
  it.each([
    ['an unknown action', { action: 'explode' }],
    ['a differently cased action', { action: 'SUSPEND' }],
    ['a missing action', {}],
    ['an action that is not a string', { action: 1 }],
  ])('answers 400 INVALID_ACTION with the exact message for %s', async (_label, body) => {
    const res = await act(body).expect(400);
    expect(res.body).toMatchObject({ error: ACTION_MESSAGE, code: 'INVALID_ACTION', status: 400 });
    expect(res.body.details[0].path).toBe('body.action');
  });

  it('answers 400 INVALID_ACTION for a POST without any body', async () => {
    const res = await t.api().post(`/api/agents/${agentId}/action`).expect(400);
    expect(res.body).toMatchObject({ error: ACTION_MESSAGE, code: 'INVALID_ACTION', status: 400 });
  });

  it('answers 404 AGENT_NOT_FOUND for an unknown agent', async () => {
    const res = await act({ action: 'suspend' }, 'agent-task-nope00').expect(404);
    expect(res.body).toEqual({ error: 'Agent not found', code: 'AGENT_NOT_FOUND', status: 404 });
  });

  it('writes nothing to the audit trail for a refused action', async () => {
    await act({ action: 'explode' }).expect(400);
    await act({ action: 'suspend' }, 'agent-task-nope00').expect(404);
    const page = (await t.api().get('/api/audit').expect(200)).body;
    expect(page.entries.map((e: { action: string }) => e.action)).toEqual(['agent_create']);
  });
});

describe('audit entries of actions', () => {
  it.each([
    ['suspend', { action: 'suspend' }, 'high', { previousStatus: 'ACTIVE', newStatus: 'SUSPENDED' }],
    ['resume', { action: 'resume' }, 'medium', { previousStatus: 'ACTIVE', newStatus: 'ACTIVE' }],
    ['restart', { action: 'restart' }, 'high', { previousStatus: 'ACTIVE', newStatus: 'ACTIVE' }],
    ['autonomy_change', { action: 'set_autonomy', params: { level: 3 } }, 'high', { previousLevel: 1, newLevel: 3 }],
  ])('records %s with the actor, its risk and the previous and new state', async (action, body, risk, metadata) => {
    t.deps.clock.advance(3_000);
    await act(body, agentId, { 'x-actor-id': 'ci:github-actions' }).expect(200);
    const entries = await auditEntries({ action });
    expect(entries).toEqual([
      {
        id: expect.any(String),
        timestamp: '2026-06-01T12:00:03.000Z',
        actorType: 'user',
        actorId: 'ci:github-actions',
        action,
        result: 'completed',
        metadata: { agentId, ...metadata },
        hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        risk,
        orgId: 'default',
        projectId: null,
      },
    ]);
  });

  it('records the actor api without x-actor-id', async () => {
    await act({ action: 'suspend' }).expect(200);
    const [entry] = await auditEntries({ action: 'suspend' });
    expect(entry).toMatchObject({ actorType: 'user', actorId: 'api' });
  });

  it('sets projectId on entries about an agent of a project', async () => {
    const p = (await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201)).body;
    for (const body of [{ action: 'suspend' }, { action: 'resume' }, { action: 'restart' }, { action: 'set_autonomy', params: { level: 2 } }]) {
      await act(body, p.agentId).expect(200);
    }
    const entries = await auditEntries({ projectId: p.id, order: 'asc' });
    expect(entries.map((e) => e.action)).toEqual(['project_create', 'suspend', 'resume', 'restart', 'autonomy_change']);
    expect(new Set(entries.map((e) => e.projectId))).toEqual(new Set([p.id]));
  });

  it('keeps the chain valid across actions', async () => {
    await act({ action: 'suspend' }).expect(200);
    await act({ action: 'restart' }).expect(200);
    await act({ action: 'set_autonomy', params: { level: 5 } }).expect(200);
    const res = await t.api().get('/api/audit/verify').set('x-org-id', 'default').expect(200);
    expect(res.body).toEqual({ valid: true, checked: 4, brokenAt: null, keyed: false, unkeyed: 4 });
  });
});
