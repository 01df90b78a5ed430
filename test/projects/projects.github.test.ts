import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startStub, sendJson, type Stub } from '../helpers/stub-server.js';
import { createGitHubClient } from '../../src/github/github.client.js';
import { startGitHub, type FakeGitHub } from './github-stub.js';

const TOKEN = 'ghp_test_token';
const BASE = 'https://codespar.example.com';
const REPO_NOT_FOUND = { error: 'Repository not found or insufficient permissions', code: 'REPO_NOT_FOUND', status: 404 };

let gh: FakeGitHub;
let t: TestApp;
const apps: TestApp[] = [];
const app = async (env: Record<string, string | undefined>) => {
  t = await makeTestApp({ env: { GITHUB_API_URL: gh.url, ...env } });
  apps.push(t);
  return t;
};
beforeEach(async () => {
  gh = await startGitHub([
    { fullName: 'acme/widget', defaultBranch: 'trunk' },
    { fullName: 'Acme/Gadget', defaultBranch: 'develop' },
  ]);
});
afterEach(async () => {
  for (const a of apps.splice(0)) a.close();
  await gh.close();
});

const auditEntries = async (query: Record<string, string>) =>
  (await t.api().get('/api/audit').query(query).expect(200)).body.entries as Array<Record<string, unknown>>;

describe('POST /api/projects with GITHUB_TOKEN', () => {
  it('checks the repo with the token and takes the default branch from GitHub over the body', async () => {
    await app({ GITHUB_TOKEN: TOKEN });
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget', defaultBranch: 'main' }).expect(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^proj-[0-9a-z]+$/), agentId: expect.stringMatching(/^agent-proj-/), repo: 'acme/widget', orgId: 'default', webhookUrl: null, webhookConfigured: false });
    expect(gh.calls()).toEqual(['GET /repos/acme/widget']);
    expect(gh.stub.requests[0]!.headers.authorization).toMatch(new RegExp(`^(token|bearer) ${TOKEN}$`, 'i'));
    const [project] = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(project).toMatchObject({ defaultBranch: 'trunk', webhookConfigured: false, webhookId: null });
  });

  it("uses GitHub's spelling of the repository, also for the default name", async () => {
    await app({ GITHUB_TOKEN: TOKEN });
    const res = await t.api().post('/api/projects').send({ repo: 'https://github.com/acme/gadget.git' }).expect(201);
    expect(res.body.repo).toBe('Acme/Gadget');
    expect(gh.calls()).toEqual(['GET /repos/acme/gadget']);
    const [project] = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(project).toMatchObject({ repo: 'Acme/Gadget', repoUrl: 'https://github.com/Acme/Gadget', name: 'Gadget', defaultBranch: 'develop' });
  });

  it('creates the repo webhook with the exact request when WEBHOOK_BASE_URL is set', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE, GITHUB_WEBHOOK_SECRET: 'hush' });
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201);
    expect(res.body).toMatchObject({ webhookUrl: `${BASE}/webhooks/github`, webhookConfigured: true });
    expect(gh.calls()).toEqual(['GET /repos/acme/widget', 'POST /repos/acme/widget/hooks']);
    const hook = gh.stub.requests[1]!;
    expect(hook.headers.authorization).toMatch(new RegExp(`${TOKEN}$`));
    expect(hook.headers['content-type']).toMatch(/^application\/json/);
    expect(hook.json).toMatchObject({
      name: 'web',
      events: ['push', 'pull_request', 'workflow_run', 'check_run'],
      config: { url: `${BASE}/webhooks/github`, content_type: 'json', secret: 'hush' },
    });
    const [project] = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(project).toMatchObject({ webhookConfigured: true, webhookId: 9001 });
  });

  it('sends no secret when GITHUB_WEBHOOK_SECRET is not set', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: `${BASE}/` });
    await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201);
    const hook = gh.stub.requests[1]!.json as { config: Record<string, unknown> };
    expect(hook.config).toEqual({ url: `${BASE}/webhooks/github`, content_type: 'json' });
  });

  it.each([422, 403, 404])('still creates the project when GitHub refuses the webhook with %i', async (status) => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    gh.hookStatus = status;
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201);
    expect(res.body).toMatchObject({ webhookUrl: `${BASE}/webhooks/github`, webhookConfigured: false });
    const [project] = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(project).toMatchObject({ webhookConfigured: false, webhookId: null, agentId: res.body.agentId });
    const [entry] = await auditEntries({ action: 'project_create' });
    expect(entry!.metadata).toMatchObject({ webhookConfigured: false });
  });

  it.each([404, 403])('answers 404 REPO_NOT_FOUND when GitHub answers %i, and creates nothing', async (status) => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    gh.stub.handle((_req, res) => sendJson(res, status, { message: 'Not Found' }));
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(404);
    expect(res.body).toEqual(REPO_NOT_FOUND);
    expect(gh.calls()).toEqual(['GET /repos/acme/widget']);
    expect((await t.api().get('/api/projects').expect(200)).body.projects).toEqual([]);
    expect((await t.api().get('/api/agents').expect(200)).body).toEqual([]);
    expect(await auditEntries({})).toEqual([]);
  });

  it('answers 404 REPO_NOT_FOUND for a repo GitHub does not know', async () => {
    await app({ GITHUB_TOKEN: TOKEN });
    const res = await t.api().post('/api/projects').send({ repo: 'acme/nothing' }).expect(404);
    expect(res.body).toEqual(REPO_NOT_FOUND);
  });

  it.each([500, 502, 503])('answers 502 GITHUB_UNAVAILABLE when GitHub answers %i', async (status) => {
    await app({ GITHUB_TOKEN: TOKEN });
    gh.stub.handle((_req, res) => sendJson(res, status, { message: 'Server Error' }));
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(502);
    expect(res.body).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });
    expect((await t.api().get('/api/projects').expect(200)).body.projects).toEqual([]);
  });

  it('answers 502 GITHUB_UNAVAILABLE when GitHub cannot be reached', async () => {
    const closed = await startStub(() => {});
    const url = closed.url;
    await closed.close();
    t = await makeTestApp({ env: { GITHUB_API_URL: url, GITHUB_TOKEN: TOKEN } });
    apps.push(t);
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(502);
    expect(res.body).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });
  });

  it('answers PROJECT_EXISTS before asking GitHub', async () => {
    await app({ GITHUB_TOKEN: TOKEN });
    await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201);
    const res = await t.api().post('/api/projects').send({ repo: 'ACME/WIDGET' }).expect(409);
    expect(res.body.code).toBe('PROJECT_EXISTS');
    expect(gh.calls()).toEqual(['GET /repos/acme/widget']);
  });
});

describe('a GitHub that does not answer in time', () => {
  let silent: Stub;
  beforeEach(async () => {
    silent = await startStub(() => {
      // Never answers: the client's timeout has to end the request.
    });
  });
  afterEach(() => silent.close());

  it('answers 502 GITHUB_UNAVAILABLE and creates nothing', async () => {
    t = await makeTestApp({ github: createGitHubClient({ baseUrl: silent.url, token: 't', timeoutMs: 200 }) });
    apps.push(t);
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(502);
    expect(res.body).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });
    expect(silent.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/widget']);
    expect((await t.api().get('/api/projects').expect(200)).body.projects).toEqual([]);
  });

  it('answers 502 GITHUB_UNAVAILABLE on link', async () => {
    t = await makeTestApp({ github: createGitHubClient({ baseUrl: silent.url, token: 't', timeoutMs: 200 }) });
    apps.push(t);
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').send({ agentId: agent.id, repo: 'acme/widget' }).expect(502);
    expect(res.body).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });
    expect((await t.api().get('/api/project').query({ agentId: agent.id }).expect(200)).body).toEqual({ linked: false });
  });
});

describe('POST /api/projects without GITHUB_TOKEN', () => {
  it('creates the project without contacting GitHub: branch from the body, no webhook', async () => {
    await app({ WEBHOOK_BASE_URL: BASE });
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget', defaultBranch: 'release/1.x' }).expect(201);
    expect(res.body).toMatchObject({ repo: 'acme/widget', webhookUrl: `${BASE}/webhooks/github`, webhookConfigured: false });
    expect(gh.calls()).toEqual([]);
    const [project] = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(project).toMatchObject({ defaultBranch: 'release/1.x', webhookConfigured: false, webhookId: null });
  });

  it('defaults the branch to main and webhookUrl to null', async () => {
    await app({});
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201);
    expect(res.body.webhookUrl).toBeNull();
    expect(gh.calls()).toEqual([]);
    const [project] = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(project.defaultBranch).toBe('main');
  });

  it('answers 400 VALIDATION_ERROR for a defaultBranch git would refuse', async () => {
    await app({});
    const res = await t.api().post('/api/projects').send({ repo: 'acme/widget', defaultBranch: 'bad..branch' }).expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });
});

describe('DELETE /api/projects/:id and the GitHub webhook', () => {
  it('deletes the webhook it created and reports webhookRemoved true', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    const p = (await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201)).body;
    const res = await t.api().delete(`/api/projects/${p.id}`).expect(200);
    expect(res.body).toEqual({ success: true, removed: { id: p.id, agentTerminated: true, webhookRemoved: true } });
    expect(gh.calls()).toEqual(['GET /repos/acme/widget', 'POST /repos/acme/widget/hooks', 'DELETE /repos/acme/widget/hooks/9001']);
    expect(gh.stub.requests[2]!.headers.authorization).toMatch(new RegExp(`${TOKEN}$`));
    const [entry] = await auditEntries({ action: 'project_delete' });
    expect(entry!.metadata).toMatchObject({ webhookRemoved: true });
  });

  it('still deletes the project when GitHub refuses to delete the webhook', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    const p = (await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201)).body;
    gh.deleteStatus = 404;
    const res = await t.api().delete(`/api/projects/${p.id}`).expect(200);
    expect(res.body.removed).toEqual({ id: p.id, agentTerminated: true, webhookRemoved: false });
    expect((await t.api().get('/api/projects').expect(200)).body.projects).toEqual([]);
  });

  it('contacts GitHub only when the project has a webhook', async () => {
    await app({ GITHUB_TOKEN: TOKEN });
    const p = (await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201)).body;
    const res = await t.api().delete(`/api/projects/${p.id}`).expect(200);
    expect(res.body.removed.webhookRemoved).toBe(false);
    expect(gh.calls()).toEqual(['GET /repos/acme/widget']);
  });
});

describe('POST /api/project/link with GitHub', () => {
  it('answers 400 MISSING_CONFIG "GITHUB_TOKEN is not configured" without a token', async () => {
    await app({ WEBHOOK_BASE_URL: BASE });
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').send({ agentId: agent.id, repo: 'acme/widget' }).expect(400);
    expect(res.body).toEqual({ error: 'GITHUB_TOKEN is not configured', code: 'MISSING_CONFIG', status: 400 });
    expect(gh.calls()).toEqual([]);
  });

  it('checks the repo, creates the webhook and answers 201 with the config', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE, GITHUB_WEBHOOK_SECRET: 'hush' });
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').set('x-actor-id', 'bob').send({ agentId: agent.id, repo: 'https://github.com/acme/widget/' }).expect(201);
    expect(res.body).toEqual({
      success: true,
      config: {
        id: expect.stringMatching(/^proj-/),
        name: 'widget',
        repo: 'acme/widget',
        repoUrl: 'https://github.com/acme/widget',
        defaultBranch: 'trunk',
        webhookConfigured: true,
        webhookId: 9001,
        linkedAt: '2026-06-01T12:00:00.000Z',
        linkedBy: 'bob',
        agentId: agent.id,
        agentStatus: 'ACTIVE',
        orgId: 'default',
        createdAt: '2026-06-01T12:00:00.000Z',
        lastBuild: null,
      },
    });
    expect(gh.calls()).toEqual(['GET /repos/acme/widget', 'POST /repos/acme/widget/hooks']);
    expect(gh.stub.requests[1]!.json).toMatchObject({ config: { secret: 'hush' } });
  });

  it('creates no second webhook when the reused project already has one', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    const p = (await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201)).body;
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'review' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').send({ agentId: agent.id, repo: 'acme/widget' }).expect(201);
    expect(res.body.config).toMatchObject({ id: p.id, webhookId: 9001, agentId: p.agentId });
    expect(gh.calls()).toEqual(['GET /repos/acme/widget', 'POST /repos/acme/widget/hooks', 'GET /repos/acme/widget']);
  });

  it('creates the webhook when the reused project has none yet', async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    gh.hookStatus = 422;
    const p = (await t.api().post('/api/projects').send({ repo: 'acme/widget' }).expect(201)).body;
    gh.hookStatus = 201;
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').send({ agentId: agent.id, repo: 'acme/widget' }).expect(201);
    expect(res.body.config).toMatchObject({ id: p.id, webhookConfigured: true, webhookId: 9001 });
    expect(gh.calls().filter((c) => c.startsWith('POST'))).toEqual(['POST /repos/acme/widget/hooks', 'POST /repos/acme/widget/hooks']);
  });

  it.each([404, 403])('answers 404 REPO_NOT_FOUND when GitHub answers %i and links nothing', async (status) => {
    await app({ GITHUB_TOKEN: TOKEN });
    gh.stub.handle((_req, res) => sendJson(res, status, { message: 'Not Found' }));
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').send({ agentId: agent.id, repo: 'acme/widget' }).expect(404);
    expect(res.body).toEqual(REPO_NOT_FOUND);
    expect((await t.api().get('/api/project').query({ agentId: agent.id }).expect(200)).body).toEqual({ linked: false });
    expect((await t.api().get('/api/projects').expect(200)).body.projects).toEqual([]);
  });

  it('answers 502 GITHUB_UNAVAILABLE when GitHub answers 500', async () => {
    await app({ GITHUB_TOKEN: TOKEN });
    gh.stub.handle((_req, res) => sendJson(res, 500, { message: 'boom' }));
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    const res = await t.api().post('/api/project/link').send({ agentId: agent.id, repo: 'acme/widget' }).expect(502);
    expect(res.body).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });
  });
});

describe('races with GitHub in between', () => {
  /** Holds GET /repos answers until `n` have arrived, so both requests pass their checks first. */
  const holdRepoChecks = (n: number) => {
    const waiting: Array<() => void> = [];
    gh.stub.handle((req, res) => {
      if (req.method !== 'GET') return gh.handler(req, res);
      waiting.push(() => void gh.handler(req, res));
      if (waiting.length === n) waiting.splice(0).forEach((answer) => answer());
    });
  };

  it("creates one project for two concurrent creations of a repo and deletes the loser's webhook", async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    holdRepoChecks(2);
    const answers = await Promise.all([1, 2].map(() => t.api().post('/api/projects').send({ repo: 'acme/widget' })));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).toBe('PROJECT_EXISTS');
    const projects = (await t.api().get('/api/projects').expect(200)).body.projects;
    expect(projects).toEqual([expect.objectContaining({ webhookConfigured: true })]);
    const loserHook = projects[0].webhookId === 9001 ? 9002 : 9001;
    expect(gh.calls().filter((c) => c.startsWith('DELETE'))).toEqual([`DELETE /repos/acme/widget/hooks/${loserHook}`]);
    expect((await t.api().get('/api/agents').expect(200)).body).toHaveLength(1);
    expect(await auditEntries({ action: 'project_create' })).toHaveLength(1);
  });

  it("links an agent once when two links race, and deletes the loser's webhook", async () => {
    await app({ GITHUB_TOKEN: TOKEN, WEBHOOK_BASE_URL: BASE });
    const agent = (await t.api().post('/api/agents').send({ name: 'A', type: 'task' }).expect(201)).body;
    holdRepoChecks(2);
    const answers = await Promise.all(
      ['acme/widget', 'acme/gadget'].map((repo) => t.api().post('/api/project/link').send({ agentId: agent.id, repo })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).toBe('ALREADY_LINKED');
    const winner = answers.find((r) => r.status === 201)!.body.config;
    expect((await t.api().get('/api/projects').expect(200)).body.projects.map((p: { id: string }) => p.id)).toEqual([winner.id]);
    expect(gh.calls().filter((c) => c.startsWith('DELETE'))).toHaveLength(1);
    expect(await auditEntries({ action: 'link' })).toHaveLength(1);
  });
});
