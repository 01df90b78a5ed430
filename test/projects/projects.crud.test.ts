import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';

const T0 = '2026-06-01T12:00:00.000Z';

// No GITHUB_TOKEN: projects are created without contacting GitHub.
let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const create = async (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  (await t.api().post('/api/projects').set(headers).send(body).expect(201)).body as { id: string; agentId: string; orgId: string };

const listProjects = async (headers: Record<string, string> = {}) =>
  (await t.api().get('/api/projects').set(headers).expect(200)).body.projects as Array<Record<string, unknown>>;

const auditEntries = async (query: Record<string, string>, headers: Record<string, string> = {}) =>
  (await t.api().get('/api/audit').set(headers).query(query).expect(200)).body.entries as Array<Record<string, unknown>>;

const makeOrgs = async () => {
  await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
  await t.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
};

describe('POST /api/projects', () => {
  it('answers 201 {id, agentId, repo, orgId, webhookUrl, webhookConfigured}', async () => {
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^proj-[0-9a-z]+$/),
      agentId: expect.stringMatching(/^agent-proj-[0-9a-z]+$/),
      repo: 'acme/widget',
      orgId: 'default',
      webhookUrl: null,
      webhookConfigured: false,
    });
  });

  it('creates a project agent, ACTIVE at level 1, for the project', async () => {
    const p = await create({ repo: 'acme/widget' });
    const agent = (await t.api().get(`/api/agents/${p.agentId}`).expect(200)).body;
    expect(agent).toMatchObject({ type: 'project', status: 'ACTIVE', autonomyLevel: 1, projectId: p.id, orgId: 'default' });
    expect(agent.project).toEqual({ id: p.id, name: 'widget', repo: 'acme/widget', defaultBranch: 'main' });
  });

  it('lists the project with every field; linkedAt is createdAt and linkedBy the actor', async () => {
    const p = await create({ repo: 'https://github.com/Acme/Widget.git', name: 'The Widget', defaultBranch: 'develop' }, { 'x-actor-id': 'slack:U1234ABCD' });
    expect(await listProjects()).toEqual([
      {
        id: p.id,
        name: 'The Widget',
        repo: 'Acme/Widget',
        repoUrl: 'https://github.com/Acme/Widget',
        defaultBranch: 'develop',
        webhookConfigured: false,
        webhookId: null,
        linkedAt: T0,
        linkedBy: 'slack:U1234ABCD',
        agentId: p.agentId,
        agentStatus: 'ACTIVE',
        orgId: 'default',
        createdAt: T0,
        lastBuild: null,
      },
    ]);
  });

  it('records linkedBy api without x-actor-id and names the project after the repo', async () => {
    await create({ repo: 'acme/widget' });
    expect((await listProjects())[0]).toMatchObject({ name: 'widget', linkedBy: 'api' });
  });

  it('writes project_create, medium risk, by the actor, with the projectId', async () => {
    const p = await create({ repo: 'acme/widget' }, { 'x-actor-id': 'ci:github-actions' });
    expect(await auditEntries({})).toEqual([
      {
        id: expect.any(String),
        timestamp: T0,
        actorType: 'user',
        actorId: 'ci:github-actions',
        action: 'project_create',
        result: 'completed',
        metadata: { projectId: p.id, repo: 'acme/widget', agentId: p.agentId, webhookConfigured: false },
        hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        risk: 'medium',
        orgId: 'default',
        projectId: p.id,
      },
    ]);
  });

  it('reports the agent status of a suspended project agent', async () => {
    const p = await create({ repo: 'acme/widget' });
    await t.api().post(`/api/agents/${p.agentId}/action`).send({ action: 'suspend' }).expect(200);
    expect((await listProjects())[0]).toMatchObject({ agentId: p.agentId, agentStatus: 'SUSPENDED' });
  });

  it.each([
    ['a bare name', 'widget'],
    ['three segments', 'acme/widget/extra'],
    ['another host', 'https://gitlab.com/acme/widget'],
    ['an SSH remote', 'git@github.com:acme/widget.git'],
    ['an owner with a double hyphen', 'ac--me/widget'],
    ['an empty string', ''],
    ['a very long string', `acme/${'x'.repeat(400)}`],
    ['a number', 42],
    ['null', null],
  ])('answers 400 INVALID_REPO for %s and creates nothing', async (_label, repo) => {
    const res = await t.api().post('/api/projects').send({ repo }).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REPO', status: 400, error: expect.any(String) });
    expect(await listProjects()).toEqual([]);
    expect((await t.api().get('/api/agents').expect(200)).body).toEqual([]);
  });

  it('answers 400 VALIDATION_ERROR for a missing repo', async () => {
    const res = await t.api().post('/api/projects').send({ name: 'x' }).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(res.body.details[0].path).toBe('body.repo');
  });

  it.each([
    ['an unknown field', { repo: 'acme/widget', owner: 'x' }],
    ['a name over 100 characters', { repo: 'acme/widget', name: 'n'.repeat(101) }],
    ['an empty name', { repo: 'acme/widget', name: '' }],
  ])('answers 400 VALIDATION_ERROR for %s', async (_label, body) => {
    const res = await t.api().post('/api/projects').send(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });

  it.each(['acme/widget', 'ACME/Widget', 'https://github.com/acme/WIDGET', 'https://github.com/acme/widget.git'])(
    'answers 409 PROJECT_EXISTS for %s when acme/widget is already a project of the org',
    async (repo) => {
      await create({ repo: 'acme/widget' });
      const res = await t.api().post('/api/projects').send({ repo }).expect(409);
      expect(res.body).toMatchObject({ code: 'PROJECT_EXISTS', status: 409, error: expect.any(String) });
      expect(await listProjects()).toHaveLength(1);
      expect((await t.api().get('/api/agents').expect(200)).body).toHaveLength(1);
    },
  );

  it('lets the same repo be a project of two orgs', async () => {
    await makeOrgs();
    const a = await create({ repo: 'acme/widget' }, inOrg('org-acme'));
    const g = await create({ repo: 'Acme/Widget' }, inOrg('org-globex'));
    expect([a.orgId, g.orgId]).toEqual(['org-acme', 'org-globex']);
    expect(await listProjects()).toHaveLength(2);
  });
});

describe('GET /api/projects', () => {
  it('answers {projects: []} when there are none', async () => {
    const res = await t.api().get('/api/projects').expect(200);
    expect(res.body).toEqual({ projects: [] });
  });

  it("lists every org's projects without x-org-id, only the scoped org's with it", async () => {
    await makeOrgs();
    const d = await create({ repo: 'acme/one' });
    const a = await create({ repo: 'acme/two' }, inOrg('org-acme'));
    const g = await create({ repo: 'acme/three' }, inOrg('org-globex'));
    expect((await listProjects()).map((p) => p.id)).toEqual([d.id, a.id, g.id]);
    expect((await listProjects(inOrg('org-acme'))).map((p) => p.id)).toEqual([a.id]);
    expect((await listProjects(inOrg('org-globex'))).map((p) => p.orgId)).toEqual(['org-globex']);
    expect((await listProjects(inOrg('default'))).map((p) => p.id)).toEqual([d.id]);
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org', async () => {
    const res = await t.api().get('/api/projects').set(inOrg('org-nope')).expect(404);
    expect(res.body.code).toBe('ORG_NOT_FOUND');
  });
});

describe('DELETE /api/projects/:id', () => {
  it('removes the project and terminates its project agent and its other agents', async () => {
    const p = await create({ repo: 'acme/widget' });
    const task = (await t.api().post('/api/agents').send({ name: 'T', type: 'task', projectId: p.id }).expect(201)).body;
    const other = await create({ repo: 'acme/other' });
    t.deps.clock.advance(1_000);
    const res = await t.api().delete(`/api/projects/${p.id}`).set('x-actor-id', 'alice').expect(200);
    expect(res.body).toEqual({ success: true, removed: { id: p.id, agentTerminated: true, webhookRemoved: false } });

    expect((await listProjects()).map((x) => x.id)).toEqual([other.id]);
    await t.api().get(`/api/agents/${p.agentId}`).expect(404);
    await t.api().get(`/api/agents/${task.id}`).expect(404);
    await t.api().get(`/api/agents/${other.agentId}`).expect(200);

    const entries = await auditEntries({ since: '2026-06-01T12:00:01.000Z', order: 'asc' });
    expect(entries.map((e) => [e.action, e.risk, e.actorId, e.projectId])).toEqual([
      ['agent_terminate', 'high', 'alice', p.id],
      ['agent_terminate', 'high', 'alice', p.id],
      ['project_delete', 'critical', 'alice', p.id],
    ]);
    expect(entries.slice(0, 2).map((e) => (e.metadata as { agentId: string }).agentId)).toEqual([p.agentId, task.id]);
    expect(entries[2]!.metadata).toEqual({ projectId: p.id, repo: 'acme/widget', agentsTerminated: [p.agentId, task.id], webhookRemoved: false });
    expect((await t.api().get('/api/audit/verify').expect(200)).body.valid).toBe(true);
  });

  it('reports agentTerminated false for a project without agents', async () => {
    const p = await create({ repo: 'acme/widget' });
    await t.api().delete(`/api/agents/${p.agentId}`).expect(200);
    const res = await t.api().delete(`/api/projects/${p.id}`).expect(200);
    expect(res.body.removed).toEqual({ id: p.id, agentTerminated: false, webhookRemoved: false });
    expect(await auditEntries({ action: 'agent_terminate' })).toHaveLength(1);
  });

  it('lets the repo be created again afterwards', async () => {
    const p = await create({ repo: 'acme/widget' });
    await t.api().delete(`/api/projects/${p.id}`).expect(200);
    await create({ repo: 'acme/widget' });
  });

  it('answers 404 PROJECT_NOT_FOUND for an unknown project', async () => {
    const res = await t.api().delete('/api/projects/proj-nope00').expect(404);
    expect(res.body).toEqual({ error: 'Project not found', code: 'PROJECT_NOT_FOUND', status: 404 });
  });

  it("answers 404 for another org's project and deletes nothing", async () => {
    await makeOrgs();
    const g = await create({ repo: 'acme/widget' }, inOrg('org-globex'));
    const res = await t.api().delete(`/api/projects/${g.id}`).set(inOrg('org-acme')).expect(404);
    expect(res.body).toEqual({ error: 'Project not found', code: 'PROJECT_NOT_FOUND', status: 404 });
    expect((await listProjects(inOrg('org-globex'))).map((p) => p.id)).toEqual([g.id]);
    await t.api().get(`/api/agents/${g.agentId}`).expect(200);
    expect(await auditEntries({ action: 'project_delete' })).toEqual([]);
    expect(await auditEntries({ action: 'agent_terminate' })).toEqual([]);
  });

  it("deletes any org's project without x-org-id, recording it in that org", async () => {
    await makeOrgs();
    const g = await create({ repo: 'acme/widget' }, inOrg('org-globex'));
    await t.api().delete(`/api/projects/${g.id}`).expect(200);
    const [entry] = await auditEntries({ action: 'project_delete' }, inOrg('org-globex'));
    expect(entry).toMatchObject({ orgId: 'org-globex', projectId: g.id });
  });
});
