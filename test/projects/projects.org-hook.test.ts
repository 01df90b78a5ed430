import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { deliver, push } from '../webhooks/fixtures.js';
import { startGitHub, type FakeGitHub } from './github-stub.js';

const BASE = 'https://codespar.example.com';

let gh: FakeGitHub;
let t: TestApp;
beforeEach(async () => {
  gh = await startGitHub([
    { fullName: 'acme/widget', defaultBranch: 'main' },
    { fullName: 'acme/gadget', defaultBranch: 'main' },
  ]);
  t = await makeTestApp({ env: { GITHUB_TOKEN: 'ghp_x', GITHUB_API_URL: gh.url, WEBHOOK_BASE_URL: BASE, GITHUB_WEBHOOK_SECRET: 'instance-secret' } });
  await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
});
afterEach(async () => {
  t.close();
  await gh.close();
});

const hookRequests = () => gh.stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/hooks'));

describe('repo webhooks created for a project of an org with a webhook secret', () => {
  it('point at the org URL with the org secret (POST /api/projects), and deliveries through it reach the project', async () => {
    const { secret } = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201)).body;
    const res = await t.api().post('/api/projects').set('x-org-id', 'org-acme').send({ repo: 'acme/widget' }).expect(201);
    expect(res.body).toMatchObject({ webhookUrl: `${BASE}/webhooks/github/org-acme`, webhookConfigured: true });
    expect(hookRequests()[0]!.json).toMatchObject({ config: { url: `${BASE}/webhooks/github/org-acme`, content_type: 'json', secret } });
    const delivered = await deliver(t, 'push', push({ repo: 'acme/widget' }), { secret, path: '/webhooks/github/org-acme' }).expect(200);
    expect(delivered.body.outcomes).toEqual([expect.objectContaining({ projectId: res.body.id })]);
  });

  it('point at the org URL with the org secret when linking an agent (POST /api/project/link)', async () => {
    const { secret } = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201)).body;
    const agent = await t.api().post('/api/agents').set('x-org-id', 'org-acme').send({ name: 'linker', type: 'task' }).expect(201);
    await t.api().post('/api/project/link').set('x-org-id', 'org-acme').send({ agentId: agent.body.id, repo: 'acme/gadget' }).expect(201);
    expect(hookRequests()[0]!.json).toMatchObject({ config: { url: `${BASE}/webhooks/github/org-acme`, secret } });
  });

  it('keep the instance URL and secret for an org without one', async () => {
    const res = await t.api().post('/api/projects').set('x-org-id', 'org-acme').send({ repo: 'acme/widget' }).expect(201);
    expect(res.body.webhookUrl).toBe(`${BASE}/webhooks/github`);
    expect(hookRequests()[0]!.json).toMatchObject({ config: { url: `${BASE}/webhooks/github`, secret: 'instance-secret' } });
  });

  it('use the current secret after a rotation', async () => {
    await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201);
    const { secret } = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201)).body;
    await t.api().post('/api/projects').set('x-org-id', 'org-acme').send({ repo: 'acme/widget' }).expect(201);
    expect(hookRequests()[0]!.json).toMatchObject({ config: { secret } });
  });
});
