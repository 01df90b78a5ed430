import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { auditOf, linkRepo } from '../webhooks/fixtures.js';

let t: TestApp;
afterEach(async () => await t.close());

const NOW = '2026-06-01T12:00:00.000Z';
const request = (body: Record<string, unknown>, headers: Record<string, string> = { 'x-actor-id': 'ci:github-actions' }) =>
  t.api().post('/api/approvals').set(headers).send({ action: 'deploy', description: 'Deploy v1.2.3 to production', ...body });
const vote = (id: string, voter: string | undefined, v: 'approve' | 'reject', headers: Record<string, string> = {}) =>
  t.api().post(`/api/approvals/${id}/vote`).set({ ...(voter ? { 'x-actor-id': voter } : {}), ...headers }).send({ vote: v });

describe('POST /api/approvals', () => {
  it('creates a pending approval requested by the actor, with the defaults, and audits approval_request (medium)', async () => {
    t = await makeTestApp();
    const res = await request({}).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^apr-[0-9a-z]+$/),
      orgId: 'default',
      action: 'deploy',
      description: 'Deploy v1.2.3 to production',
      projectId: null,
      agentId: null,
      requestedBy: 'ci:github-actions',
      quorum: 1,
      status: 'pending',
      votes: [],
      createdAt: NOW,
      expiresAt: '2026-06-01T13:00:00.000Z',
      decidedAt: null,
    });
    const [entry] = (await auditOf(t)).filter((e) => e.action === 'approval_request');
    expect(entry).toMatchObject({ actorType: 'user', actorId: 'ci:github-actions', risk: 'medium', result: 'completed', metadata: { approvalId: res.body.id } });
  });

  it('takes quorum, expiry, project and agent of the org; the requester is api without x-actor-id', async () => {
    t = await makeTestApp();
    const { projectId, agentId } = await linkRepo(t);
    const res = await request({ quorum: 3, expiresInMinutes: 10080, projectId, agentId }, {}).expect(201);
    expect(res.body).toMatchObject({ quorum: 3, projectId, agentId, requestedBy: 'api', expiresAt: '2026-06-08T12:00:00.000Z' });
    const [entry] = (await auditOf(t)).filter((e) => e.action === 'approval_request');
    expect(entry!.projectId).toBe(projectId);
  });

  it.each([
    ['a missing action', { action: undefined }],
    ['a missing description', { description: undefined }],
    ['an empty action', { action: '' }],
    ['quorum 0', { quorum: 0 }],
    ['quorum 11', { quorum: 11 }],
    ['quorum 1.5', { quorum: 1.5 }],
    ['quorum "2"', { quorum: '2' }],
    ['expiresInMinutes 0', { expiresInMinutes: 0 }],
    ['expiresInMinutes 10081', { expiresInMinutes: 10081 }],
    ['an unknown field', { extra: true }],
  ])('answers 400 VALIDATION_ERROR for %s, and records nothing', async (_label, body) => {
    t = await makeTestApp();
    expectError(await request(body), 400, 'VALIDATION_ERROR');
    expect((await t.api().get('/api/approvals').expect(200)).body).toEqual([]);
    expect((await auditOf(t)).filter((e) => e.action === 'approval_request')).toEqual([]);
  });

  it("answers 404 for a project or agent that is not in the org", async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const { projectId, agentId } = await linkRepo(t);
    const acme = { 'x-org-id': 'org-acme', 'x-actor-id': 'bob' };
    expectError(await request({ projectId }, acme), 404, 'PROJECT_NOT_FOUND');
    expectError(await request({ agentId }, acme), 404, 'AGENT_NOT_FOUND');
  });
});

describe('GET /api/approvals and /api/approvals/:id', () => {
  it('lists newest first, filtered by status and projectId; reads one; unknown → 404 APPROVAL_NOT_FOUND', async () => {
    t = await makeTestApp();
    const { projectId } = await linkRepo(t);
    const first = (await request({ projectId }).expect(201)).body;
    t.deps.clock.advance(1000);
    const second = (await request({}).expect(201)).body;
    await vote(second.id, 'alice', 'reject').expect(200);
    const ids = async (q: string) => (await t.api().get(`/api/approvals${q}`).expect(200)).body.map((a: { id: string }) => a.id);
    expect(await ids('')).toEqual([second.id, first.id]);
    expect(await ids('?status=pending')).toEqual([first.id]);
    expect(await ids('?status=rejected')).toEqual([second.id]);
    expect(await ids('?status=approved')).toEqual([]);
    expect(await ids(`?projectId=${projectId}`)).toEqual([first.id]);
    expect((await t.api().get(`/api/approvals/${first.id}`).expect(200)).body).toEqual(first);
    expectError(await t.api().get('/api/approvals/apr-nope'), 404, 'APPROVAL_NOT_FOUND', 'Approval not found');
    expectError(await t.api().get('/api/approvals?status=maybe'), 400, 'INVALID_PARAMETER');
  });
});

describe('POST /api/approvals/:id/vote', () => {
  it('approves at quorum: votes are kept in order, decidedAt is set, each vote audited with the status after it', async () => {
    t = await makeTestApp();
    const a = (await request({ quorum: 2 }).expect(201)).body;
    t.deps.clock.advance(60_000);
    const one = await t.api().post(`/api/approvals/${a.id}/vote`).set('x-actor-id', 'alice').send({ vote: 'approve', comment: 'looks good' }).expect(200);
    expect(one.body).toMatchObject({ status: 'pending', decidedAt: null, votes: [{ voter: 'alice', vote: 'approve', comment: 'looks good', at: '2026-06-01T12:01:00.000Z' }] });
    t.deps.clock.advance(60_000);
    const two = await vote(a.id, 'bob', 'approve').expect(200);
    expect(two.body).toMatchObject({ status: 'approved', decidedAt: '2026-06-01T12:02:00.000Z' });
    expect(two.body.votes.map((v: { voter: string; comment: null }) => [v.voter, v.comment])).toEqual([
      ['alice', 'looks good'],
      ['bob', null],
    ]);
    const entries = (await auditOf(t, 'default', { order: 'asc' })).filter((e) => e.action === 'approve');
    expect(entries.map((e) => [e.actorType, e.actorId, e.risk, e.metadata])).toEqual([
      ['user', 'alice', 'medium', { approvalId: a.id, status: 'pending' }],
      ['user', 'bob', 'medium', { approvalId: a.id, status: 'approved' }],
    ]);
  });

  it('rejects on one rejection, whatever the quorum, and audits deny', async () => {
    t = await makeTestApp();
    const a = (await request({ quorum: 3 }).expect(201)).body;
    await vote(a.id, 'alice', 'approve').expect(200);
    const res = await vote(a.id, 'bob', 'reject').expect(200);
    expect(res.body).toMatchObject({ status: 'rejected', decidedAt: NOW });
    const [deny] = (await auditOf(t)).filter((e) => e.action === 'deny');
    expect(deny).toMatchObject({ actorId: 'bob', risk: 'medium', metadata: { approvalId: a.id, status: 'rejected' } });
  });

  it('answers 400 MISSING_ACTOR without x-actor-id, and records nothing', async () => {
    t = await makeTestApp();
    const a = (await request({}).expect(201)).body;
    expectError(await vote(a.id, undefined, 'approve'), 400, 'MISSING_ACTOR');
    expect((await t.api().get(`/api/approvals/${a.id}`).expect(200)).body.votes).toEqual([]);
  });

  it('answers 403 SELF_APPROVAL to the requester', async () => {
    t = await makeTestApp();
    const a = (await request({}).expect(201)).body;
    expectError(await vote(a.id, 'ci:github-actions', 'approve'), 403, 'SELF_APPROVAL');
    const byApi = (await request({}, {}).expect(201)).body;
    expectError(await vote(byApi.id, 'api', 'approve'), 403, 'SELF_APPROVAL');
  });

  it('answers 409 ALREADY_VOTED to a second vote of the same voter, and keeps the first', async () => {
    t = await makeTestApp();
    const a = (await request({ quorum: 2 }).expect(201)).body;
    await vote(a.id, 'alice', 'approve').expect(200);
    expectError(await vote(a.id, 'alice', 'reject'), 409, 'ALREADY_VOTED');
    const now = (await t.api().get(`/api/approvals/${a.id}`).expect(200)).body;
    expect(now).toMatchObject({ status: 'pending', votes: [{ voter: 'alice', vote: 'approve' }] });
  });

  it('answers 409 APPROVAL_CLOSED once decided', async () => {
    t = await makeTestApp();
    const a = (await request({}).expect(201)).body;
    await vote(a.id, 'alice', 'approve').expect(200);
    expectError(await vote(a.id, 'bob', 'reject'), 409, 'APPROVAL_CLOSED');
    expect((await t.api().get(`/api/approvals/${a.id}`).expect(200)).body.status).toBe('approved');
  });

  it('checks in the order: 404, SELF_APPROVAL, ALREADY_VOTED, APPROVAL_CLOSED', async () => {
    t = await makeTestApp();
    expectError(await vote('apr-nope', 'alice', 'approve'), 404, 'APPROVAL_NOT_FOUND');
    const a = (await request({}).expect(201)).body;
    await vote(a.id, 'alice', 'approve').expect(200);
    expectError(await vote(a.id, 'ci:github-actions', 'approve'), 403, 'SELF_APPROVAL');
    expectError(await vote(a.id, 'alice', 'approve'), 409, 'ALREADY_VOTED');
    expectError(await vote(a.id, 'carol', 'approve'), 409, 'APPROVAL_CLOSED');
  });

  it.each([{}, { vote: 'yes' }, { vote: 'approve', extra: 1 }, { vote: 'approve', comment: 'x'.repeat(1001) }])('answers 400 VALIDATION_ERROR for %o', async (body) => {
    t = await makeTestApp();
    const a = (await request({}).expect(201)).body;
    expectError(await t.api().post(`/api/approvals/${a.id}/vote`).set('x-actor-id', 'alice').send(body), 400, 'VALIDATION_ERROR');
  });
});

describe('expiry', () => {
  it('reads expired everywhere from the instant expiresAt is reached, and refuses votes then', async () => {
    t = await makeTestApp();
    const a = (await request({ expiresInMinutes: 5 }).expect(201)).body;
    t.deps.clock.set('2026-06-01T12:04:59.999Z');
    expect((await t.api().get(`/api/approvals/${a.id}`).expect(200)).body.status).toBe('pending');
    t.deps.clock.set(a.expiresAt);
    expect((await t.api().get(`/api/approvals/${a.id}`).expect(200)).body).toMatchObject({ status: 'expired', decidedAt: null });
    expect((await t.api().get('/api/approvals?status=expired').expect(200)).body.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await t.api().get('/api/approvals?status=pending').expect(200)).body).toEqual([]);
    expect((await t.api().get('/api/approvals').expect(200)).body[0].status).toBe('expired');
    expectError(await vote(a.id, 'alice', 'approve'), 409, 'APPROVAL_CLOSED');
    expect((await auditOf(t)).filter((e) => e.action === 'approve')).toEqual([]);
  });

  it('leaves a decided approval decided after its expiry time', async () => {
    t = await makeTestApp();
    const a = (await request({ expiresInMinutes: 1 }).expect(201)).body;
    await vote(a.id, 'alice', 'approve').expect(200);
    t.deps.clock.advance(3_600_000);
    expect((await t.api().get(`/api/approvals/${a.id}`).expect(200)).body.status).toBe('approved');
  });
});

describe('approvals across orgs, tokens and retries', () => {
  const setup = async () => {
    t = await makeTestApp({ env: { API_TOKENS: 'op:*,acme:org-acme,beta:org-beta' } });
    for (const name of ['Acme', 'Beta']) await t.api().post('/api/orgs').set('authorization', 'Bearer op').send({ name }).expect(201);
    const acme = { authorization: 'Bearer acme', 'x-actor-id': 'alice' };
    const a = (await t.api().post('/api/approvals').set(acme).send({ action: 'deploy', description: 'd' }).expect(201)).body;
    return { a, acme, beta: { authorization: 'Bearer beta', 'x-actor-id': 'mallory' } };
  };

  it('hides an approval from another org: it cannot read, list or vote on it', async () => {
    const { a, beta } = await setup();
    expect(a.orgId).toBe('org-acme');
    expectError(await t.api().get(`/api/approvals/${a.id}`).set(beta), 404, 'APPROVAL_NOT_FOUND');
    expect((await t.api().get('/api/approvals').set(beta).expect(200)).body).toEqual([]);
    expectError(await t.api().post(`/api/approvals/${a.id}/vote`).set(beta).send({ vote: 'approve' }), 404, 'APPROVAL_NOT_FOUND');
    expectError(await t.api().get(`/api/approvals/${a.id}`).set({ authorization: 'Bearer beta', 'x-org-id': 'org-acme' }), 403, 'FORBIDDEN');
    expectError(await t.api().get('/api/approvals'), 401, 'UNAUTHORIZED');
    const seen = (await t.api().get(`/api/approvals/${a.id}`).set({ authorization: 'Bearer acme' }).expect(200)).body;
    expect(seen.votes).toEqual([]);
  });

  it('replays a vote retried with the same Idempotency-Key instead of answering ALREADY_VOTED', async () => {
    const { a } = await setup();
    const bob = { authorization: 'Bearer acme', 'x-actor-id': 'bob', 'idempotency-key': 'vote-1' };
    const first = await t.api().post(`/api/approvals/${a.id}/vote`).set(bob).send({ vote: 'approve' }).expect(200);
    const again = await t.api().post(`/api/approvals/${a.id}/vote`).set(bob).send({ vote: 'approve' }).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expectError(await t.api().post(`/api/approvals/${a.id}/vote`).set(bob).send({ vote: 'reject' }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('creates one approval for a request retried with the same Idempotency-Key', async () => {
    const { acme } = await setup();
    const h = { ...acme, 'idempotency-key': 'req-1' };
    const one = await t.api().post('/api/approvals').set(h).send({ action: 'migrate', description: 'm' }).expect(201);
    const two = await t.api().post('/api/approvals').set(h).send({ action: 'migrate', description: 'm' }).expect(201);
    expect(two.body.id).toBe(one.body.id);
    expect((await t.api().get('/api/approvals').set(acme).expect(200)).body).toHaveLength(2);
  });
});
