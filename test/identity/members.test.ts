import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { createOrg } from '../channels/fixtures.js';

let t: TestApp;
let org: string;
let alice: string;
beforeEach(async () => {
  t = await makeTestApp();
  org = await createOrg(t.api, 'Acme Corp');
  alice = (
    await t.api().post('/api/identity').send({ displayName: 'Alice', role: 'maintainer', channels: [{ type: 'slack', userId: 'U1' }] }).expect(201)
  ).body.id;
});
afterEach(() => t.close());

const add = (orgId: string, body: object, headers: Record<string, string> = {}) => t.api().post(`/api/orgs/${orgId}/members`).set(headers).send(body);
const auditOf = async (action: string) => (await t.api().get('/api/audit').set(inOrg(org)).query({ action }).expect(200)).body.entries;

describe('POST /api/orgs/:id/members', () => {
  it('adds a member (201), shown on GET /api/orgs/:id with memberCount', async () => {
    const res = await add(org, { identityId: alice, role: 'owner' }, { 'x-actor-id': 'ops:root' }).expect(201);
    const member = { identityId: alice, displayName: 'Alice', role: 'owner', joinedAt: '2026-06-01T12:00:00.000Z' };
    expect(res.body).toEqual(member);

    const details = (await t.api().get(`/api/orgs/${org}`).expect(200)).body;
    expect(details).toMatchObject({ memberCount: 1, members: [member] });
    const listed = (await t.api().get('/api/orgs').expect(200)).body.find((o: { id: string }) => o.id === org);
    expect(listed.memberCount).toBe(1);
    expect((await t.api().get('/api/orgs/default').expect(200)).body).toMatchObject({ memberCount: 0, members: [] });

    expect(await auditOf('member_add')).toEqual([
      expect.objectContaining({ actorType: 'user', actorId: 'ops:root', action: 'member_add', risk: 'medium', orgId: org, metadata: { identityId: alice, role: 'owner' } }),
    ]);
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org, and for another org than x-org-id', async () => {
    const unknown = await add('org-nope', { identityId: alice, role: 'owner' }).expect(404);
    expect(unknown.body).toEqual({ error: 'Organization not found', code: 'ORG_NOT_FOUND', status: 404 });
    const other = await add(org, { identityId: alice, role: 'owner' }, inOrg('default')).expect(404);
    expect(other.body.code).toBe('ORG_NOT_FOUND');
    await add(org, { identityId: alice, role: 'owner' }, inOrg(org)).expect(201);
  });

  it('answers 404 IDENTITY_NOT_FOUND for an unknown identity', async () => {
    const res = await add(org, { identityId: 'ident-nope', role: 'owner' }).expect(404);
    expect(res.body).toEqual({ error: 'Identity not found', code: 'IDENTITY_NOT_FOUND', status: 404 });
  });

  it('answers 409 MEMBER_EXISTS for an existing member', async () => {
    await add(org, { identityId: alice, role: 'owner' }).expect(201);
    const res = await add(org, { identityId: alice, role: 'reviewer' }).expect(409);
    expect(res.body).toEqual({ error: `Identity '${alice}' is already a member of this organization`, code: 'MEMBER_EXISTS', status: 409 });
    expect(await auditOf('member_add')).toHaveLength(1);
  });

  it('answers 400 VALIDATION_ERROR for a role outside the list or a missing field', async () => {
    for (const body of [{ identityId: alice, role: 'admin' }, { identityId: alice }, { role: 'owner' }, { identityId: alice, role: 'owner', extra: true }]) {
      const res = await add(org, body).expect(400);
      expect(res.body.code, JSON.stringify(body)).toBe('VALIDATION_ERROR');
    }
  });

  it('accepts every role of the list', async () => {
    for (const role of ['owner', 'maintainer', 'operator', 'reviewer', 'read-only', 'emergency_admin']) {
      const id = (await t.api().post('/api/identity').send({ displayName: role, role, channels: [{ type: 'web', userId: role }] }).expect(201)).body.id;
      expect((await add(org, { identityId: id, role }).expect(201)).body.role).toBe(role);
    }
  });
});

describe('DELETE /api/orgs/:id/members/:identityId', () => {
  it('removes a member and audits member_remove', async () => {
    await add(org, { identityId: alice, role: 'owner' }).expect(201);
    const res = await t.api().delete(`/api/orgs/${org}/members/${alice}`).set('x-actor-id', 'ops:root').expect(200);
    expect(res.body).toEqual({ removed: true });
    expect((await t.api().get(`/api/orgs/${org}`).expect(200)).body).toMatchObject({ memberCount: 0, members: [] });
    expect(await auditOf('member_remove')).toEqual([
      expect.objectContaining({ actorId: 'ops:root', action: 'member_remove', risk: 'medium', orgId: org, metadata: { identityId: alice } }),
    ]);
  });

  it('answers 404 MEMBER_NOT_FOUND for someone who is not a member', async () => {
    for (const id of [alice, 'ident-nope']) {
      const res = await t.api().delete(`/api/orgs/${org}/members/${id}`).expect(404);
      expect(res.body).toEqual({ error: 'Member not found', code: 'MEMBER_NOT_FOUND', status: 404 });
    }
    expect(await auditOf('member_remove')).toEqual([]);
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org or another org than x-org-id', async () => {
    await add(org, { identityId: alice, role: 'owner' }).expect(201);
    expect((await t.api().delete(`/api/orgs/org-nope/members/${alice}`).expect(404)).body.code).toBe('ORG_NOT_FOUND');
    expect((await t.api().delete(`/api/orgs/${org}/members/${alice}`).set(inOrg('default')).expect(404)).body.code).toBe('ORG_NOT_FOUND');
    expect((await t.api().get(`/api/orgs/${org}`).expect(200)).body.memberCount).toBe(1);
  });
});
