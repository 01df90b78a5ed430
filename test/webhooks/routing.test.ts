import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startGitHub, type FakeGitHub } from '../projects/github-stub.js';
import { deliver, push } from './fixtures.js';

/**
 * Who receives a delivery: the instance URL against the org URLs, with and without
 * API_TOKENS. One repo is linked in three orgs: `default` and `org-acme` without a
 * server-made GitHub webhook, `org-globex` with one (webhookConfigured: true).
 */
const OPS = 'tok-ops';
const BASE = 'https://codespar.example.com';
const REPO = 'shared/repo';

let gh: FakeGitHub;
let t: TestApp;
beforeEach(async () => {
  gh = await startGitHub([{ fullName: REPO, defaultBranch: 'main' }]);
});
afterEach(async () => {
  t.close();
  await gh.close();
});

async function setUp(tokens: boolean) {
  t = await makeTestApp({ env: { GITHUB_TOKEN: 'ghp_x', GITHUB_API_URL: gh.url, WEBHOOK_BASE_URL: BASE, ...(tokens ? { API_TOKENS: `${OPS}:*` } : {}) } });
  const auth = tokens ? { Authorization: `Bearer ${OPS}` } : {};
  const api = (orgId: string) => ({ ...auth, 'x-org-id': orgId });
  for (const name of ['Acme', 'Globex']) await t.api().post('/api/orgs').set(auth).send({ name }).expect(201);
  const project = async (orgId: string, hook: boolean) => {
    gh.hookStatus = hook ? 201 : 422;
    const res = await t.api().post('/api/projects').set(api(orgId)).send({ repo: REPO }).expect(201);
    expect(res.body.webhookConfigured).toBe(hook);
    return res.body.id as string;
  };
  const ids = { default: await project('default', false), 'org-acme': await project('org-acme', false), 'org-globex': await project('org-globex', true) };
  const secrets: Record<string, string> = {};
  for (const orgId of Object.keys(ids)) secrets[orgId] = (await t.api().post('/api/webhooks/secret').set(api(orgId)).expect(201)).body.secret;
  const reached = (body: { outcomes?: Array<{ projectId: string }> }) =>
    (body.outcomes ?? []).map((o) => Object.entries(ids).find(([, id]) => id === o.projectId)![0]).sort();
  return { secrets, reached, api };
}

let n = 0;
const fresh = () => push({ repo: REPO, messages: [`commit ${n++}`] });

describe('webhook routing without API_TOKENS', () => {
  it('sends an instance-URL delivery to every org that linked the repo', async () => {
    const { reached } = await setUp(false);
    expect(reached((await deliver(t, 'push', fresh()).expect(200)).body)).toEqual(['default', 'org-acme', 'org-globex']);
  });

  it("sends an org-URL delivery to that org's projects only", async () => {
    const { reached, secrets } = await setUp(false);
    for (const orgId of ['default', 'org-acme', 'org-globex']) {
      const res = await deliver(t, 'push', fresh(), { secret: secrets[orgId], path: `/webhooks/github/${orgId}` }).expect(200);
      expect(reached(res.body)).toEqual([orgId]);
    }
  });
});

describe('webhook routing with API_TOKENS (multi-tenant)', () => {
  it('sends an instance-URL delivery only to the default org and to projects whose webhook the server created', async () => {
    const { reached, api } = await setUp(true);
    const res = await deliver(t, 'push', fresh(), { id: 'd-instance' }).expect(200);
    expect(reached(res.body)).toEqual(['default', 'org-globex']);
    // org-acme learned nothing: no entry, no commit message in its memory.
    const acme = await t.api().get('/api/audit').set(api('org-acme')).query({ action: 'ci_event' }).expect(200);
    expect(acme.body.total).toBe(0);
  });

  it("still reaches every org at its own URL, each with its own secret", async () => {
    const { reached, secrets } = await setUp(true);
    for (const orgId of ['default', 'org-acme', 'org-globex']) {
      const res = await deliver(t, 'push', fresh(), { secret: secrets[orgId], path: `/webhooks/github/${orgId}` }).expect(200);
      expect(reached(res.body)).toEqual([orgId]);
    }
  });

  it("answers 'Repository not linked' at the instance URL when only other orgs linked the repo", async () => {
    t = await makeTestApp({ env: { API_TOKENS: `${OPS}:*` } });
    await t.api().post('/api/orgs').set('Authorization', `Bearer ${OPS}`).send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/projects').set({ Authorization: `Bearer ${OPS}`, 'x-org-id': 'org-acme' }).send({ repo: 'acme/private' }).expect(201);
    const res = await deliver(t, 'push', push({ repo: 'acme/private' })).expect(200);
    expect(res.body).toMatchObject({ processed: false, reason: 'Repository not linked' });
    const events = await t.api().get('/api/audit').set('Authorization', `Bearer ${OPS}`).query({ action: 'ci_event' }).expect(200);
    expect(events.body.total).toBe(0);
  });
});
