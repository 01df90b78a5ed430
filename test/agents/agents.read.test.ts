import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const T0 = '2026-06-01T12:00:00.000Z';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const createProject = async (repo: string, headers: Record<string, string> = {}) =>
  (await t.api().post('/api/projects').set(headers).send({ repo }).expect(201)).body as { id: string; agentId: string };

const createAgent = async (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  (await t.api().post('/api/agents').set(headers).send(body).expect(201)).body as { id: string };

describe('GET /api/agent-types', () => {
  it('answers the exact agent-types table, in its order', async () => {
    const res = await t.api().get('/api/agent-types').expect(200);
    expect(res.body).toEqual([
      { type: 'project', lifecycle: 'persistent', description: 'Monitors repo, CI/CD, channels' },
      { type: 'task', lifecycle: 'ephemeral', description: 'Executes coding tasks' },
      { type: 'review', lifecycle: 'ephemeral', description: 'PR analysis and risk classification' },
      { type: 'deploy', lifecycle: 'ephemeral', description: 'Deploy orchestration with approvals' },
      { type: 'incident', lifecycle: 'ephemeral', description: 'CI failure investigation' },
      { type: 'coordinator', lifecycle: 'persistent', description: 'Cross-project orchestration' },
    ]);
  });

  it('is also served under /v1/api', async () => {
    const res = await t.api().get('/v1/api/agent-types').expect(200);
    expect(res.body).toHaveLength(6);
  });
});

describe('GET /api/agents', () => {
  it('answers an empty array when there are no agents', async () => {
    const res = await t.api().get('/api/agents').expect(200);
    expect(res.body).toEqual([]);
  });

  it('lists agents with the list fields: channels on project agents, task on task-like ones', async () => {
    const p = await createProject('acme/widget');
    const task = await createAgent({ name: 'Fixer', type: 'task', projectId: p.id });
    const coord = await createAgent({ name: 'Coordinator', type: 'coordinator', autonomyLevel: 3 });
    const res = await t.api().get('/api/agents').expect(200);
    expect(res.body).toEqual([
      {
        id: p.agentId,
        name: 'widget agent',
        type: 'project',
        status: 'ACTIVE',
        autonomyLevel: 1,
        projectId: p.id,
        orgId: 'default',
        uptime: 0,
        lastActivity: T0,
        createdAt: T0,
        channels: ['web'],
      },
      {
        id: task.id,
        name: 'Fixer',
        type: 'task',
        status: 'ACTIVE',
        autonomyLevel: 1,
        projectId: p.id,
        orgId: 'default',
        uptime: 0,
        lastActivity: T0,
        createdAt: T0,
        task: null,
      },
      {
        id: coord.id,
        name: 'Coordinator',
        type: 'coordinator',
        status: 'ACTIVE',
        autonomyLevel: 3,
        projectId: null,
        orgId: 'default',
        uptime: 0,
        lastActivity: T0,
        createdAt: T0,
      },
    ]);
  });

  it('reports uptime in whole seconds since the agent was started', async () => {
    const a = await createAgent({ name: 'A', type: 'task' });
    t.deps.clock.advance(90_500);
    const res = await t.api().get('/api/agents').expect(200);
    expect(res.body[0]).toMatchObject({ id: a.id, uptime: 90, createdAt: T0 });
  });

  describe('filters', () => {
    let projectA: { id: string; agentId: string };
    let taskA: { id: string };
    let review: { id: string };
    let coord: { id: string };
    beforeEach(async () => {
      projectA = await createProject('acme/a');
      await createProject('acme/b');
      taskA = await createAgent({ name: 'task a', type: 'task', projectId: projectA.id });
      review = await createAgent({ name: 'review', type: 'review' });
      coord = await createAgent({ name: 'coord', type: 'coordinator' });
      await t.api().post(`/api/agents/${review.id}/action`).send({ action: 'suspend' }).expect(200);
    });

    const ids = async (query: Record<string, string>) =>
      ((await t.api().get('/api/agents').query(query).expect(200)).body as Array<{ id: string }>).map((a) => a.id);

    it('filters by type', async () => {
      expect(await ids({ type: 'coordinator' })).toEqual([coord.id]);
      expect(await ids({ type: 'project' })).toHaveLength(2);
    });

    it('filters by status', async () => {
      expect(await ids({ status: 'SUSPENDED' })).toEqual([review.id]);
      expect(await ids({ status: 'ERROR' })).toEqual([]);
    });

    it('filters by projectId', async () => {
      expect(await ids({ projectId: projectA.id })).toEqual([projectA.agentId, taskA.id]);
      expect(await ids({ projectId: 'proj-none' })).toEqual([]);
    });

    it('combines filters', async () => {
      expect(await ids({ projectId: projectA.id, type: 'task', status: 'ACTIVE' })).toEqual([taskA.id]);
      expect(await ids({ projectId: projectA.id, type: 'review' })).toEqual([]);
    });

    it('treats an empty filter value as absent', async () => {
      expect(await ids({ type: '' })).toHaveLength(5);
    });

    it.each([
      ['type', 'robot'],
      ['status', 'SLEEPING'],
      ['status', 'deleted'],
    ])('answers 400 INVALID_PARAMETER for %s=%s', async (name, value) => {
      const res = await t.api().get('/api/agents').query({ [name]: value }).expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_PARAMETER', status: 400 });
      expect(res.body.error).toEqual(expect.any(String));
    });

    it('answers 400 INVALID_PARAMETER for a repeated filter', async () => {
      const res = await t.api().get('/api/agents?type=task&type=review').expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_PARAMETER', status: 400 });
    });

    it('answers 400 INVALID_PARAMETER for a projectId over 100 characters', async () => {
      const res = await t.api().get('/api/agents').query({ projectId: 'p'.repeat(101) }).expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_PARAMETER', status: 400 });
    });
  });
});

describe('GET /api/agents/:id', () => {
  it('answers a project agent with its project, stats and memory', async () => {
    const p = await createProject('acme/widget');
    t.deps.clock.advance(5_000);
    const res = await t.api().get(`/api/agents/${p.agentId}`).expect(200);
    expect(res.body).toEqual({
      id: p.agentId,
      name: 'widget agent',
      type: 'project',
      status: 'ACTIVE',
      autonomyLevel: 1,
      projectId: p.id,
      orgId: 'default',
      uptime: 5,
      lastActivity: T0,
      createdAt: T0,
      channels: ['web'],
      project: { id: p.id, name: 'widget', repo: 'acme/widget', defaultBranch: 'main' },
      stats: { messagesProcessed: 0, tasksCompleted: 0, reviewsPerformed: 0, deploysTriggered: 0, incidentsHandled: 0 },
      memory: { embeddings: 0, storageMB: 0 },
    });
  });

  it('answers a task agent of a project with that project', async () => {
    const p = await createProject('acme/widget');
    const a = await createAgent({ name: 'Fixer', type: 'task', projectId: p.id });
    const res = await t.api().get(`/api/agents/${a.id}`).expect(200);
    expect(res.body).toMatchObject({ projectId: p.id, task: null, project: { id: p.id, repo: 'acme/widget' } });
  });

  it('answers an agent without a project with project null and zero memory', async () => {
    const a = await createAgent({ name: 'Deployer', type: 'deploy', autonomyLevel: 0 });
    const res = await t.api().get(`/api/agents/${a.id}`).expect(200);
    expect(res.body).toMatchObject({ id: a.id, type: 'deploy', task: null, project: null, memory: { embeddings: 0, storageMB: 0 } });
    expect(res.body).not.toHaveProperty('channels');
  });

  it('answers 404 AGENT_NOT_FOUND "Agent not found" for an unknown id', async () => {
    const res = await t.api().get('/api/agents/agent-task-nope00').expect(404);
    expect(res.body).toEqual({ error: 'Agent not found', code: 'AGENT_NOT_FOUND', status: 404 });
  });
});
