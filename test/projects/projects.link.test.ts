import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { sendJson } from '../helpers/stub-server.js';
import { startGitHub, type FakeGitHub } from './github-stub.js';

const T0 = '2026-06-01T12:00:00.000Z';
const ALREADY_LINKED = { error: 'Agent already has a linked project. Unlink first.', code: 'ALREADY_LINKED', status: 409 };
const AGENT_NOT_FOUND = { error: 'Agent not found', code: 'AGENT_NOT_FOUND', status: 404 };

let gh: FakeGitHub;
let t: TestApp;
beforeEach(async () => {
  gh = await startGitHub([
    { fullName: 'acme/widget', defaultBranch: 'trunk' },
    { fullName: 'acme/other', defaultBranch: 'main' },
  ]);
  t = await makeTestApp({ env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: 'ghp_test' } });
});
afterEach(async () => {
  t.close();
  await gh.close();
});

const createProject = async (repo: string, headers: Record<string, string> = {}) =>
  (await t.api().post('/api/projects').set(headers).send({ repo }).expect(201)).body as { id: string; agentId: string };
const createAgent = async (type: string, headers: Record<string, string> = {}) =>
  (await t.api().post('/api/agents').set(headers).send({ name: `${type} agent`, type }).expect(201)).body as { id: string };
const link = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.api().post('/api/project/link').set(headers).send(body);
const unlink = (agentId: string, headers: Record<string, string> = {}) =>
  t.api().post('/api/project/unlink').set(headers).send({ agentId });
const state = async (agentId: string) => (await t.api().get('/api/project').query({ agentId }).expect(200)).body;
const listProjects = async () => (await t.api().get('/api/projects').expect(200)).body.projects as Array<Record<string, unknown>>;
const auditEntries = async (query: Record<string, string>) =>
  (await t.api().get('/api/audit').query(query).expect(200)).body.entries as Array<Record<string, unknown>>;

/** A project agent without a project: its project's agent, then unlinked. */
const freeProjectAgent = async (repo = 'acme/widget') => {
  const p = await createProject(repo);
  await unlink(p.agentId).expect(200);
  return p;
};

describe('GET /api/project', () => {
  it('answers {linked: true, config} for a linked agent', async () => {
    const p = await createProject('acme/widget');
    const body = await state(p.agentId);
    expect(body).toEqual({ linked: true, config: (await listProjects())[0] });
    expect(body.config).toMatchObject({ id: p.id, agentId: p.agentId, defaultBranch: 'trunk' });
  });

  it('answers {linked: false} for an agent without a project', async () => {
    const a = await createAgent('coordinator');
    expect(await state(a.id)).toEqual({ linked: false });
  });

  it.each([['missing', ''], ['empty', '?agentId=']])('answers 400 MISSING_PARAMETER when agentId is %s', async (_label, qs) => {
    const res = await t.api().get(`/api/project${qs}`).expect(400);
    expect(res.body).toMatchObject({ code: 'MISSING_PARAMETER', status: 400, error: expect.stringContaining('agentId') });
  });

  it('answers 404 AGENT_NOT_FOUND for an unknown agent', async () => {
    const res = await t.api().get('/api/project').query({ agentId: 'agent-task-nope00' }).expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
  });

  it("answers 404 AGENT_NOT_FOUND for another org's agent", async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const p = await createProject('acme/widget');
    const res = await t.api().get('/api/project').set(inOrg('org-acme')).query({ agentId: p.agentId }).expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
  });
});

describe('POST /api/project/link', () => {
  it('creates the project for a repo the org does not have yet and links the agent', async () => {
    const a = await createAgent('task');
    t.deps.clock.advance(1_000);
    const res = await link({ agentId: a.id, repo: 'acme/widget' }, { 'x-actor-id': 'alice' }).expect(201);
    const at = '2026-06-01T12:00:01.000Z';
    expect(res.body).toEqual({
      success: true,
      config: {
        id: expect.stringMatching(/^proj-/),
        name: 'widget',
        repo: 'acme/widget',
        repoUrl: 'https://github.com/acme/widget',
        defaultBranch: 'trunk',
        webhookConfigured: false,
        webhookId: null,
        linkedAt: at,
        linkedBy: 'alice',
        agentId: a.id,
        agentStatus: 'ACTIVE',
        orgId: 'default',
        createdAt: at,
        lastBuild: null,
      },
    });
    expect(await state(a.id)).toEqual({ linked: true, config: res.body.config });
    expect((await t.api().get(`/api/agents/${a.id}`).expect(200)).body.projectId).toBe(res.body.config.id);
    expect(gh.calls()).toEqual(['GET /repos/acme/widget']);

    const entries = await auditEntries({ action: 'link' });
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'link',
        actorType: 'user',
        actorId: 'alice',
        risk: 'high',
        result: 'completed',
        projectId: res.body.config.id,
        metadata: { agentId: a.id, projectId: res.body.config.id, repo: 'acme/widget' },
      }),
    ]);
  });

  it("reuses the org's project when it has no project agent", async () => {
    const p = await freeProjectAgent();
    const a = await createAgent('task');
    t.deps.clock.advance(5_000);
    const res = await link({ agentId: a.id, repo: 'https://github.com/ACME/widget' }, { 'x-actor-id': 'bob' }).expect(201);
    expect(res.body.config).toMatchObject({ id: p.id, repo: 'acme/widget', agentId: a.id, linkedBy: 'bob', linkedAt: '2026-06-01T12:00:05.000Z', createdAt: T0 });
    expect(await listProjects()).toHaveLength(1);
  });

  it('reuses the project for an agent that is not a project agent, leaving its project agent in place', async () => {
    const p = await createProject('acme/widget');
    const review = await createAgent('review');
    const res = await link({ agentId: review.id, repo: 'acme/widget' }).expect(201);
    expect(res.body.config).toMatchObject({ id: p.id, agentId: p.agentId, linkedBy: 'api' });
    expect(await state(review.id)).toMatchObject({ linked: true, config: { id: p.id } });
    expect((await t.api().get('/api/agents').query({ projectId: p.id }).expect(200)).body.map((x: { id: string }) => x.id)).toEqual([p.agentId, review.id]);
  });

  it('lets a free project agent take back a project that has no project agent', async () => {
    const p = await freeProjectAgent();
    const res = await link({ agentId: p.agentId, repo: 'acme/widget' }).expect(201);
    expect(res.body.config).toMatchObject({ id: p.id, agentId: p.agentId });
  });

  it('lets a project agent take over a project linked only to a task agent', async () => {
    const p = await freeProjectAgent();
    const task = await createAgent('task');
    await link({ agentId: task.id, repo: 'acme/widget' }).expect(201);
    const res = await link({ agentId: p.agentId, repo: 'acme/widget' }).expect(201);
    expect(res.body.config).toMatchObject({ id: p.id, agentId: p.agentId });
    expect(await state(task.id)).toMatchObject({ linked: true, config: { id: p.id } });
  });

  it('answers 409 PROJECT_EXISTS for a project agent and a repo whose project has a project agent', async () => {
    const free = await freeProjectAgent('acme/other');
    const p = await createProject('acme/widget');
    const calls = gh.calls().length;
    const res = await link({ agentId: free.agentId, repo: 'Acme/Widget' }).expect(409);
    expect(res.body).toMatchObject({ code: 'PROJECT_EXISTS', status: 409 });
    expect(gh.calls()).toHaveLength(calls);
    expect(await state(free.agentId)).toEqual({ linked: false });
    expect((await listProjects()).find((x) => x.id === p.id)).toMatchObject({ agentId: p.agentId });
    expect(await auditEntries({ action: 'link' })).toEqual([]);
  });

  it('answers 409 ALREADY_LINKED for a linked agent', async () => {
    const p = await createProject('acme/widget');
    const res = await link({ agentId: p.agentId, repo: 'acme/other' }).expect(409);
    expect(res.body).toEqual(ALREADY_LINKED);
  });

  it('answers 404 AGENT_NOT_FOUND for an unknown agent', async () => {
    const res = await link({ agentId: 'agent-task-nope00', repo: 'acme/widget' }).expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
    expect(gh.calls()).toEqual([]);
  });

  it("answers 404 AGENT_NOT_FOUND for another org's agent; without the header it links in the agent's org", async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
    const a = await createAgent('task', inOrg('org-globex'));
    const res = await link({ agentId: a.id, repo: 'acme/widget' }, inOrg('org-acme')).expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
    const ok = await link({ agentId: a.id, repo: 'acme/widget' }).expect(201);
    expect(ok.body.config.orgId).toBe('org-globex');
  });

  it.each([
    ['a missing agentId', { repo: 'acme/widget' }],
    ['an unknown field', { agentId: 'agent-task-x', repo: 'acme/widget', force: true }],
  ])('answers 400 VALIDATION_ERROR for %s', async (_label, body) => {
    const res = await link(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });

  it('answers 400 VALIDATION_ERROR for a missing repo and 400 INVALID_REPO for a malformed one', async () => {
    const a = await createAgent('task');
    expect((await link({ agentId: a.id }).expect(400)).body.code).toBe('VALIDATION_ERROR');
    for (const repo of ['widget', 'https://bitbucket.org/acme/widget', 'acme/wid get', '']) {
      expect((await link({ agentId: a.id, repo }).expect(400)).body.code).toBe('INVALID_REPO');
    }
    expect(gh.calls()).toEqual([]);
  });
});

describe('POST /api/project/link order of checks', () => {
  it('answers INVALID_REPO before MISSING_CONFIG', async () => {
    const bare = await makeTestApp();
    try {
      const res = await bare.api().post('/api/project/link').send({ agentId: 'agent-task-nope00', repo: 'not a repo' }).expect(400);
      expect(res.body.code).toBe('INVALID_REPO');
      const missing = await bare.api().post('/api/project/link').send({ agentId: 'agent-task-nope00' }).expect(400);
      expect(missing.body.code).toBe('VALIDATION_ERROR');
    } finally {
      bare.close();
    }
  });

  it('answers MISSING_CONFIG before AGENT_NOT_FOUND', async () => {
    const bare = await makeTestApp();
    try {
      const res = await bare.api().post('/api/project/link').send({ agentId: 'agent-task-nope00', repo: 'acme/widget' }).expect(400);
      expect(res.body).toEqual({ error: 'GITHUB_TOKEN is not configured', code: 'MISSING_CONFIG', status: 400 });
    } finally {
      bare.close();
    }
  });

  it('answers AGENT_NOT_FOUND before PROJECT_EXISTS and before GitHub', async () => {
    await createProject('acme/widget');
    gh.stub.handle((_req, res) => sendJson(res, 404, { message: 'Not Found' }));
    const calls = gh.calls().length;
    const res = await link({ agentId: 'agent-proj-nope00', repo: 'acme/widget' }).expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
    expect(gh.calls()).toHaveLength(calls);
  });

  it('answers ALREADY_LINKED before PROJECT_EXISTS', async () => {
    await createProject('acme/widget');
    const other = await createProject('acme/other');
    const res = await link({ agentId: other.agentId, repo: 'acme/widget' }).expect(409);
    expect(res.body).toEqual(ALREADY_LINKED);
  });

  it('answers PROJECT_EXISTS before asking GitHub', async () => {
    const free = await freeProjectAgent('acme/other');
    await createProject('acme/widget');
    gh.stub.handle((_req, res) => sendJson(res, 500, {}));
    const res = await link({ agentId: free.agentId, repo: 'acme/widget' }).expect(409);
    expect(res.body.code).toBe('PROJECT_EXISTS');
  });
});

describe('POST /api/project/unlink', () => {
  it('answers {success, agentId, projectId} and leaves the project without an agent', async () => {
    const p = await createProject('acme/widget');
    const res = await unlink(p.agentId, { 'x-actor-id': 'carol' }).expect(200);
    expect(res.body).toEqual({ success: true, agentId: p.agentId, projectId: p.id });
    expect(await state(p.agentId)).toEqual({ linked: false });
    expect(await listProjects()).toEqual([expect.objectContaining({ id: p.id, agentId: null, agentStatus: null })]);
    expect((await t.api().get(`/api/agents/${p.agentId}`).expect(200)).body).toMatchObject({ projectId: null, project: null });
    const [entry] = await auditEntries({ action: 'unlink' });
    expect(entry).toMatchObject({
      actorType: 'user',
      actorId: 'carol',
      risk: 'high',
      projectId: p.id,
      metadata: { agentId: p.agentId, projectId: p.id, repo: 'acme/widget' },
    });
  });

  it("keeps the project's agent when another agent of the project unlinks", async () => {
    const p = await createProject('acme/widget');
    const task = await createAgent('task');
    await link({ agentId: task.id, repo: 'acme/widget' }).expect(201);
    await unlink(task.id).expect(200);
    expect(await listProjects()).toEqual([expect.objectContaining({ id: p.id, agentId: p.agentId })]);
    expect(await state(task.id)).toEqual({ linked: false });
  });

  it('lets an unlinked agent link again', async () => {
    const p = await createProject('acme/widget');
    await unlink(p.agentId).expect(200);
    const res = await link({ agentId: p.agentId, repo: 'acme/other' }).expect(201);
    expect(res.body.config).toMatchObject({ repo: 'acme/other', agentId: p.agentId });
    expect(await listProjects()).toHaveLength(2);
  });

  it('answers 409 NOT_LINKED for an agent without a project', async () => {
    const a = await createAgent('task');
    const res = await unlink(a.id).expect(409);
    expect(res.body).toMatchObject({ code: 'NOT_LINKED', status: 409, error: expect.any(String) });
    expect(await auditEntries({ action: 'unlink' })).toEqual([]);
  });

  it('answers 404 AGENT_NOT_FOUND for an unknown agent', async () => {
    const res = await unlink('agent-task-nope00').expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
  });

  it("answers 404 AGENT_NOT_FOUND for another org's agent and unlinks nothing", async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const p = await createProject('acme/widget');
    const res = await unlink(p.agentId, inOrg('org-acme')).expect(404);
    expect(res.body).toEqual(AGENT_NOT_FOUND);
    expect((await state(p.agentId)).linked).toBe(true);
  });

  it('answers 400 VALIDATION_ERROR without agentId', async () => {
    const res = await t.api().post('/api/project/unlink').send({}).expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });
});
