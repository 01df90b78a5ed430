import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';

const T0 = '2026-06-01T12:00:00.000Z';
const TYPES_MESSAGE = 'Invalid agent type. Must be one of: project, task, review, deploy, incident, coordinator';
const AUTONOMY_MESSAGE = 'Autonomy level must be between 0 and 5';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const createProject = async (repo: string, headers: Record<string, string> = {}) =>
  (await t.api().post('/api/projects').set(headers).send({ repo }).expect(201)).body as { id: string; agentId: string };

const auditEntries = async (query: Record<string, string>, headers: Record<string, string> = {}) =>
  (await t.api().get('/api/audit').set(headers).query(query).expect(200)).body.entries as Array<Record<string, unknown>>;

describe('POST /api/agents', () => {
  it.each([
    ['project', 'proj'],
    ['task', 'task'],
    ['review', 'rev'],
    ['deploy', 'deploy'],
    ['incident', 'inc'],
    ['coordinator', 'coord'],
  ])('creates a %s agent with the id prefix agent-%s-', async (type, short) => {
    const projectId = type === 'project' ? (await t.api().post('/api/projects').send({ repo: 'acme/x' }).expect(201)).body.id : undefined;
    if (projectId) await t.api().delete(`/api/agents/${(await t.api().get(`/api/agents?type=project`)).body[0].id}`).expect(200);
    const res = await t.api().post('/api/agents').send({ name: 'N', type, projectId }).expect(201);
    expect(res.body.id).toMatch(new RegExp(`^agent-${short}-[0-9a-z]{6}$`));
    expect(res.body.type).toBe(type);
  });

  it('answers 201 with an ACTIVE agent at autonomy level 1 by default', async () => {
    const res = await t.api().post('/api/agents').send({ name: 'Fixer', type: 'task' }).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^agent-task-/),
      name: 'Fixer',
      type: 'task',
      status: 'ACTIVE',
      autonomyLevel: 1,
      projectId: null,
      orgId: 'default',
      uptime: 0,
      lastActivity: T0,
      createdAt: T0,
      task: null,
    });
    const got = await t.api().get(`/api/agents/${res.body.id}`).expect(200);
    expect(got.body).toMatchObject({ id: res.body.id, status: 'ACTIVE', autonomyLevel: 1 });
  });

  it.each([0, 5])('accepts autonomyLevel %i', async (level) => {
    const res = await t.api().post('/api/agents').send({ name: 'A', type: 'review', autonomyLevel: level }).expect(201);
    expect(res.body.autonomyLevel).toBe(level);
  });

  it('creates the agent in the org of x-org-id and writes agent_create there', async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const res = await t.api().post('/api/agents').set(inOrg('org-acme', 'ci:bot')).send({ name: 'A', type: 'task' }).expect(201);
    expect(res.body.orgId).toBe('org-acme');
    const [entry] = await auditEntries({ action: 'agent_create' }, inOrg('org-acme'));
    expect(entry).toMatchObject({
      action: 'agent_create',
      actorType: 'user',
      actorId: 'ci:bot',
      risk: 'medium',
      result: 'completed',
      orgId: 'org-acme',
      projectId: null,
      metadata: { agentId: res.body.id, name: 'A', type: 'task', autonomyLevel: 1 },
    });
  });

  it('creates a project agent for a project that has none and makes it the project agent', async () => {
    const p = await createProject('acme/widget');
    await t.api().delete(`/api/agents/${p.agentId}`).expect(200);
    const res = await t.api().post('/api/agents').set('x-actor-id', 'alice').send({ name: 'New', type: 'project', projectId: p.id }).expect(201);
    expect(res.body).toMatchObject({ type: 'project', projectId: p.id, channels: ['web'] });
    const [entry] = await auditEntries({ action: 'agent_create' });
    expect(entry).toMatchObject({ actorId: 'alice', projectId: p.id });
    const projects = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(projects[0]).toMatchObject({ id: p.id, agentId: res.body.id, agentStatus: 'ACTIVE' });
  });

  it('lets a task agent join a project that already has a project agent', async () => {
    const p = await createProject('acme/widget');
    const res = await t.api().post('/api/agents').send({ name: 'T', type: 'task', projectId: p.id }).expect(201);
    expect(res.body.projectId).toBe(p.id);
    const projects = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(projects[0].agentId).toBe(p.agentId);
  });

  describe('name', () => {
    it.each([
      ['missing', {}],
      ['empty', { name: '' }],
      ['blank', { name: '   ' }],
      ['101 characters', { name: 'n'.repeat(101) }],
      ['not a string', { name: 42 }],
    ])('answers 400 VALIDATION_ERROR when it is %s', async (_why, extra) => {
      const res = await t.api().post('/api/agents').send({ type: 'task', ...extra }).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
      expect(res.body.details[0].path).toBe('body.name');
    });

    it('accepts 100 characters', async () => {
      const res = await t.api().post('/api/agents').send({ name: 'n'.repeat(100), type: 'task' }).expect(201);
      expect(res.body.name).toHaveLength(100);
    });
  });

  it.each(['robot', 'Project', ''])('answers 400 INVALID_AGENT_TYPE listing the valid types for type %j', async (type) => {
    const res = await t.api().post('/api/agents').send({ name: 'A', type }).expect(400);
    expect(res.body).toMatchObject({ error: TYPES_MESSAGE, code: 'INVALID_AGENT_TYPE', status: 400 });
  });

  it('answers 400 INVALID_AGENT_TYPE for a missing type too', async () => {
    const res = await t.api().post('/api/agents').send({ name: 'A' }).expect(400);
    expect(res.body).toMatchObject({ error: TYPES_MESSAGE, code: 'INVALID_AGENT_TYPE', status: 400 });
  });

  it('answers 400 MISSING_FIELD for a project agent without projectId', async () => {
    const res = await t.api().post('/api/agents').send({ name: 'A', type: 'project' }).expect(400);
    expect(res.body).toMatchObject({ code: 'MISSING_FIELD', status: 400 });
    expect(res.body.error).toMatch(/projectId/);
  });

  it('answers 404 PROJECT_NOT_FOUND for an unknown project', async () => {
    const res = await t.api().post('/api/agents').send({ name: 'A', type: 'project', projectId: 'proj-nope00' }).expect(404);
    expect(res.body).toEqual({ error: 'Project not found', code: 'PROJECT_NOT_FOUND', status: 404 });
    const task = await t.api().post('/api/agents').send({ name: 'A', type: 'task', projectId: 'proj-nope00' }).expect(404);
    expect(task.body.code).toBe('PROJECT_NOT_FOUND');
  });

  it('answers 404 PROJECT_NOT_FOUND for a project of another org', async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
    const p = await createProject('acme/widget', inOrg('org-acme'));
    await t.api().delete(`/api/agents/${p.agentId}`).expect(200);
    for (const headers of [inOrg('org-globex'), {}]) {
      const res = await t.api().post('/api/agents').set(headers).send({ name: 'A', type: 'project', projectId: p.id }).expect(404);
      expect(res.body.code).toBe('PROJECT_NOT_FOUND');
    }
    expect((await t.api().get('/api/agents').expect(200)).body).toEqual([]);
  });

  it('answers 409 AGENT_ALREADY_EXISTS for a second project agent', async () => {
    const p = await createProject('acme/widget');
    const res = await t.api().post('/api/agents').send({ name: 'Second', type: 'project', projectId: p.id }).expect(409);
    expect(res.body).toMatchObject({ code: 'AGENT_ALREADY_EXISTS', status: 409 });
    expect((await t.api().get('/api/agents').query({ projectId: p.id }).expect(200)).body).toHaveLength(1);
  });

  it.each([
    ['-1', -1],
    ['6', 6],
    ['2.5', 2.5],
    ['"3"', '3'],
    ['null', null],
    ['true', true],
  ])('answers 400 INVALID_AUTONOMY_LEVEL for autonomyLevel %s', async (_label, level) => {
    const res = await t.api().post('/api/agents').send({ name: 'A', type: 'task', autonomyLevel: level }).expect(400);
    expect(res.body).toMatchObject({ error: AUTONOMY_MESSAGE, code: 'INVALID_AUTONOMY_LEVEL', status: 400 });
  });

  it('answers 400 VALIDATION_ERROR for an unknown field and writes nothing', async () => {
    const res = await t.api().post('/api/agents').send({ name: 'A', type: 'task', colour: 'red' }).expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(await auditEntries({ action: 'agent_create' })).toEqual([]);
  });

  it('answers 400 VALIDATION_ERROR for a body that is not an object', async () => {
    const res = await t.api().post('/api/agents').set('content-type', 'application/json').send('[1]').expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });
});

describe('DELETE /api/agents/:id', () => {
  it('answers {id, deleted: true, message} and removes the agent', async () => {
    const a = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().delete(`/api/agents/${a.id}`).set('x-actor-id', 'slack:U1').expect(200);
    expect(res.body).toEqual({ id: a.id, deleted: true, message: 'Agent removed' });
    await t.api().get(`/api/agents/${a.id}`).expect(404);
    expect((await t.api().get('/api/agents').expect(200)).body).toEqual([]);
    const [entry] = await auditEntries({ action: 'agent_terminate' });
    expect(entry).toMatchObject({
      action: 'agent_terminate',
      actorType: 'user',
      actorId: 'slack:U1',
      risk: 'high',
      projectId: null,
      metadata: { agentId: a.id, name: 'A', type: 'task' },
    });
  });

  it('leaves the project of a deleted project agent without an agent', async () => {
    const p = await createProject('acme/widget');
    await t.api().delete(`/api/agents/${p.agentId}`).expect(200);
    const projects = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(projects).toHaveLength(1);
    expect(projects[0]).toMatchObject({ id: p.id, agentId: null, agentStatus: null });
    const [entry] = await auditEntries({ action: 'agent_terminate' });
    expect(entry).toMatchObject({ projectId: p.id, metadata: { agentId: p.agentId, type: 'project' } });
  });

  it('answers 404 AGENT_NOT_FOUND for an unknown id, twice in a row', async () => {
    const a = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    await t.api().delete(`/api/agents/${a.id}`).expect(200);
    const res = await t.api().delete(`/api/agents/${a.id}`).expect(404);
    expect(res.body).toEqual({ error: 'Agent not found', code: 'AGENT_NOT_FOUND', status: 404 });
    expect(await auditEntries({ action: 'agent_terminate' })).toHaveLength(1);
  });
});
