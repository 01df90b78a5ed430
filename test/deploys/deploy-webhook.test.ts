import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { auditOf, linkRepo, projectView, REPO, SHA } from '../webhooks/fixtures.js';
import { DEPLOY_SECRET, report, signDeploy } from './fixtures.js';

const DEPLOY_WEBHOOK_SECRET = DEPLOY_SECRET;

let t: TestApp;
afterEach(async () => await t.close());

const body = (o: Record<string, unknown> = {}) => ({ project: REPO, status: 'succeeded', sha: SHA, url: 'https://ci.example.test/runs/1', ...o });
const deploysOf = async (org?: string) => (await t.api().get('/api/deploys').set(org ? { 'x-org-id': org } : {}).expect(200)).body as Array<Record<string, unknown>>;

describe('POST /webhooks/deploy with DEPLOY_WEBHOOK_SECRET set', () => {
  const setup = async () => {
    t = await makeTestApp({ env: { DEPLOY_WEBHOOK_SECRET: DEPLOY_SECRET } });
    return linkRepo(t);
  };

  it('accepts a pretty-printed body signed as sent, over its exact bytes', async () => {
    const { projectId } = await setup();
    const text = JSON.stringify(body(), null, 2) + '\n';
    const res = await report(t, text, { secret: DEPLOY_SECRET }).expect(200);
    expect(res.body).toMatchObject({ received: true, processed: true, projectId, deploy: { projectId, status: 'succeeded', environment: 'production' } });
  });

  it('accepts the hex digest in upper case too', async () => {
    await setup();
    const text = JSON.stringify(body());
    await report(t, text, { headers: { 'x-deploy-signature': signDeploy(DEPLOY_SECRET, text).replace(/[0-9a-f]+$/, (h) => h.toUpperCase()) } }).expect(200);
  });

  it.each<[string, (text: string) => Record<string, string>]>([
    ['no signature', () => ({})],
    ['an empty signature', () => ({ 'x-deploy-signature': '' })],
    ['a signature without its sha256= prefix', (b) => ({ 'x-deploy-signature': signDeploy(DEPLOY_SECRET, b).slice(7) })],
    ['a truncated signature', (b) => ({ 'x-deploy-signature': signDeploy(DEPLOY_SECRET, b).slice(0, -2) })],
    ['a signature made with another secret', (b) => ({ 'x-deploy-signature': signDeploy('another-secret', b) })],
    ['the signature of the compact body on a pretty-printed one', (b) => ({ 'x-deploy-signature': signDeploy(DEPLOY_SECRET, JSON.stringify(JSON.parse(b))) })],
  ])('answers 401 INVALID_SIGNATURE with %s, and records nothing', async (_label, headersFor) => {
    await setup();
    const before = (await auditOf(t)).length;
    const text = JSON.stringify(body(), null, 2);
    const res = await report(t, text, { headers: headersFor(text) });
    expectError(res, 401, 'INVALID_SIGNATURE', 'Missing or invalid X-Deploy-Signature');
    expect(await deploysOf()).toEqual([]);
    expect((await auditOf(t)).length).toBe(before);
  });

  it('answers 401 when one byte of the signed body is changed in transit', async () => {
    await setup();
    const text = JSON.stringify(body({ status: 'failed' }));
    const tampered = text.replace('failed', 'faile\\u0064');
    expect(JSON.parse(tampered)).toEqual(JSON.parse(text));
    const res = await report(t, tampered, { headers: { 'x-deploy-signature': signDeploy(DEPLOY_SECRET, text) } });
    expectError(res, 401, 'INVALID_SIGNATURE');
    expect(await deploysOf()).toEqual([]);
  });

  it('checks the signature before the body: a malformed, unsigned body is a 401, not a 400', async () => {
    await setup();
    expectError(await report(t, '{not json'), 401, 'INVALID_SIGNATURE');
  });

  it('answers 400 INVALID_JSON for a signed malformed body and 400 VALIDATION_ERROR for a signed bad one', async () => {
    await setup();
    expectError(await report(t, '{"project": ', { secret: DEPLOY_SECRET }), 400, 'INVALID_JSON');
    expectError(await report(t, '{"project":"\\ud800","status":"started"}', { secret: DEPLOY_SECRET }), 400, 'INVALID_JSON');
    const bad = await report(t, body({ status: 'exploded' }), { secret: DEPLOY_SECRET });
    expectError(bad, 400, 'VALIDATION_ERROR');
    expect(bad.body.details[0].path).toBe('body.status');
  });
});

describe('POST /webhooks/deploy without a secret', () => {
  it('accepts unsigned reports and answers the deploy with its outcomes', async () => {
    t = await makeTestApp();
    const { projectId, agentId } = await linkRepo(t);
    const res = await report(t, body({ environment: 'staging', message: 'v1.2.3', source: 'ci:github-actions' })).expect(200);
    expect(res.body).toEqual({
      received: true,
      processed: true,
      projectId,
      deploy: {
        id: expect.stringMatching(/^dep-[0-9a-z]+$/),
        projectId,
        orgId: 'default',
        environment: 'staging',
        status: 'succeeded',
        sha: SHA,
        url: 'https://ci.example.test/runs/1',
        message: 'v1.2.3',
        source: 'ci:github-actions',
        at: '2026-06-01T12:00:00.000Z',
      },
      outcomes: [{ projectId, agentId, outcome: 'notified', spawnedAgentId: null }],
    });
  });

  it('is also served under /v1', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    await report(t, body(), { path: '/v1/webhooks/deploy' }).expect(200);
  });

  it('resolves the project by id, by owner/name in any case, and by GitHub URL', async () => {
    t = await makeTestApp();
    const { projectId } = await linkRepo(t);
    for (const project of [projectId, 'ACME/Api', 'https://github.com/acme/api']) {
      expect((await report(t, body({ project })).expect(200)).body.projectId).toBe(projectId);
    }
  });

  it.each([
    ['a missing project', { status: 'started' }],
    ['a missing status', { project: REPO }],
    ['an unknown status', { project: REPO, status: 'done' }],
    ['an unknown field', { project: REPO, status: 'started', extra: 1 }],
    ['a url that is not http(s)', { project: REPO, status: 'started', url: 'javascript:alert(1)' }],
    ['an empty environment', { project: REPO, status: 'started', environment: '' }],
    ['a source with a control character', { project: REPO, status: 'started', source: 'ci\n' }],
    ['an array', [1]],
    ['null', null],
  ])('answers 400 VALIDATION_ERROR for %s', async (_label, b) => {
    t = await makeTestApp();
    await linkRepo(t);
    expectError(await report(t, b), 400, 'VALIDATION_ERROR');
    expect(await deploysOf()).toEqual([]);
  });

  it('answers 400 VALIDATION_ERROR for an empty body and 415 for a body that is not JSON', async () => {
    t = await makeTestApp();
    expectError(await t.api().post('/webhooks/deploy'), 400, 'VALIDATION_ERROR');
    const form = await t.api().post('/webhooks/deploy').set('content-type', 'application/x-www-form-urlencoded').send('project=acme/api&status=started');
    expectError(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a report over JSON_BODY_LIMIT, before reading it', async () => {
    t = await makeTestApp({ env: { JSON_BODY_LIMIT: '1kb' } });
    await linkRepo(t);
    expectError(await report(t, body({ message: 'x'.repeat(2000) })), 413, 'PAYLOAD_TOO_LARGE');
    await report(t, body({ message: 'x'.repeat(500) })).expect(200);
  });

  it('forgets an X-Deploy-Id after 7 days', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    await report(t, body(), { deployId: 'old-run' }).expect(200);
    t.deps.clock.advance(7 * 86_400_000 + 1);
    expect((await report(t, body(), { deployId: 'old-run' }).expect(200)).body.processed).toBe(true);
  });

  it('answers 404 PROJECT_NOT_FOUND for an unknown project, id or repo', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    for (const project of ['proj-nope', 'acme/other', 'not a repo']) {
      expectError(await report(t, body({ project })), 404, 'PROJECT_NOT_FOUND', 'Project not found');
    }
  });

  it('answers 409 AMBIGUOUS_PROJECT on the instance URL for a repo linked in two orgs, and resolves by id or org URL', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await linkRepo(t);
    const other = await linkRepo(t, REPO, { org: 'org-acme' });
    expectError(await report(t, body()), 409, 'AMBIGUOUS_PROJECT');
    expect(await deploysOf()).toEqual([]);
    expect((await report(t, body({ project: other.projectId })).expect(200)).body.projectId).toBe(other.projectId);
  });

  it('records a rolled-back deploy as rollback and the others as deploy, critical, by the source or deploy-webhook', async () => {
    t = await makeTestApp();
    const { projectId } = await linkRepo(t, REPO, { level: 0 });
    await report(t, body({ status: 'started' })).expect(200);
    await report(t, body({ status: 'rolled_back', source: 'ci:github-actions', sha: null, url: null })).expect(200);
    const entries = (await auditOf(t)).filter((e) => e.action === 'deploy' || e.action === 'rollback');
    expect(entries.map((e) => ({ action: e.action, actorType: e.actorType, actorId: e.actorId, result: e.result, risk: e.risk, projectId: e.projectId, metadata: e.metadata }))).toEqual([
      {
        action: 'deploy',
        actorType: 'system',
        actorId: 'deploy-webhook',
        result: 'processed',
        risk: 'critical',
        projectId,
        metadata: { environment: 'production', status: 'started', sha: SHA, url: 'https://ci.example.test/runs/1' },
      },
      {
        action: 'rollback',
        actorType: 'system',
        actorId: 'ci:github-actions',
        result: 'processed',
        risk: 'critical',
        projectId,
        metadata: { environment: 'production', status: 'rolled_back', sha: null, url: null },
      },
    ]);
    const verify = await t.api().get('/api/audit/verify').set('x-org-id', 'default').expect(200);
    expect(verify.body.valid).toBe(true);
  });

  it('gives the project its latest deploy as lastDeploy (null before any)', async () => {
    t = await makeTestApp();
    const { projectId } = await linkRepo(t);
    expect((await projectView(t, projectId)).lastDeploy).toBeNull();
    await report(t, body({ status: 'started' })).expect(200);
    const last = (await report(t, body({ status: 'failed', environment: 'eu' })).expect(200)).body.deploy;
    expect((await projectView(t, projectId)).lastDeploy).toEqual(last);
  });
});

describe('X-Deploy-Id', () => {
  it('processes a repeated id once and answers the repeat as a duplicate', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    await report(t, body(), { deployId: 'run-42-1' }).expect(200);
    const again = await report(t, body({ status: 'failed' }), { deployId: 'run-42-1' }).expect(200);
    expect(again.body).toEqual({ received: true, processed: false, duplicate: true, reason: 'Duplicate delivery' });
    expect(await deploysOf()).toHaveLength(1);
    expect((await auditOf(t)).filter((e) => e.action === 'deploy')).toHaveLength(1);
  });

  it('leaves the id unclaimed when the report is refused, so a corrected retry is processed', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    expectError(await report(t, body({ project: 'acme/missing' }), { deployId: 'run-43' }), 404, 'PROJECT_NOT_FOUND');
    expect((await report(t, body(), { deployId: 'run-43' }).expect(200)).body.processed).toBe(true);
  });

  it('answers 400 VALIDATION_ERROR for an id over 255 characters', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    expectError(await report(t, body(), { deployId: 'x'.repeat(256) }), 400, 'VALIDATION_ERROR');
  });
});

describe('POST /webhooks/deploy/:orgId', () => {
  const setupOrg = async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const created = await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201);
    return { secret: created.body.secret as string };
  };

  it("accepts a report signed with the org's webhook secret and resolves the repo in that org only", async () => {
    const { secret } = await setupOrg();
    await linkRepo(t);
    const own = await linkRepo(t, REPO, { org: 'org-acme' });
    const res = await report(t, body(), { org: 'org-acme', secret }).expect(200);
    expect(res.body.projectId).toBe(own.projectId);
    expect(await deploysOf('default')).toEqual([]);
  });

  it("answers 404 PROJECT_NOT_FOUND for another org's project id", async () => {
    const { secret } = await setupOrg();
    const theirs = await linkRepo(t);
    expectError(await report(t, body({ project: theirs.projectId }), { org: 'org-acme', secret }), 404, 'PROJECT_NOT_FOUND');
  });

  it('answers 401 without a signature, with the instance secret, or when the org has no secret', async () => {
    t = await makeTestApp({ env: { DEPLOY_WEBHOOK_SECRET: DEPLOY_SECRET } });
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await linkRepo(t, REPO, { org: 'org-acme' });
    expectError(await report(t, body(), { org: 'org-acme' }), 401, 'INVALID_SIGNATURE');
    expectError(await report(t, body(), { org: 'org-acme', secret: DEPLOY_SECRET }), 401, 'INVALID_SIGNATURE');
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org, before anything else', async () => {
    t = await makeTestApp();
    expectError(await report(t, '{', { org: 'org-nope' }), 404, 'ORG_NOT_FOUND');
  });

  it('answers 405 for another method', async () => {
    t = await makeTestApp();
    const res = await t.api().get('/webhooks/deploy');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('POST');
  });
});

describe('the instance URL in a multi-tenant deployment', () => {
  const setup = async (env: Record<string, string>) => {
    t = await makeTestApp({ env: { API_TOKENS: 'op:*', ...env } });
    const op = { authorization: 'Bearer op' };
    await t.api().post('/api/orgs').set(op).send({ name: 'Acme' }).expect(201);
    const own = (await t.api().post('/api/projects').set(op).send({ repo: 'ops/api' }).expect(201)).body.id as string;
    const tenant = (await t.api().post('/api/projects').set({ ...op, 'x-org-id': 'org-acme' }).send({ repo: REPO }).expect(201)).body.id as string;
    return { own, tenant };
  };

  it('reaches only the default org while it is unsigned (API_TOKENS set, no DEPLOY_WEBHOOK_SECRET)', async () => {
    const { own, tenant } = await setup({});
    expect((await report(t, body({ project: own })).expect(200)).body.projectId).toBe(own);
    expectError(await report(t, body({ project: tenant })), 404, 'PROJECT_NOT_FOUND');
    expectError(await report(t, body()), 404, 'PROJECT_NOT_FOUND');
  });

  it('reaches every org once DEPLOY_WEBHOOK_SECRET signs it', async () => {
    const { tenant } = await setup({ DEPLOY_WEBHOOK_SECRET });
    expect((await report(t, body(), { secret: DEPLOY_SECRET }).expect(200)).body.projectId).toBe(tenant);
  });
});

describe('the webhook rate limit', () => {
  it('applies to deploy reports, in one budget with GitHub deliveries', async () => {
    t = await makeTestApp({ env: { WEBHOOK_RATE_LIMIT_MAX: '2', RATE_LIMIT_MAX: '100' } });
    await linkRepo(t);
    await report(t, body()).expect(200);
    await t.api().post('/webhooks/github').set('x-github-event', 'ping').set('content-type', 'application/json').send('{}').expect(200);
    const res = await report(t, body());
    expectError(res, 429, 'RATE_LIMITED');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
  });
});
