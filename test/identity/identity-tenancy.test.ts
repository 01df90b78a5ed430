import { afterEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { tableSnapshot } from '../helpers/engine-db.js';

let t: TestApp;
afterEach(() => t?.close());

const NOT_FOUND = { found: false, identity: null };

async function twoOrgs(env: Record<string, string> = {}, operator: Record<string, string> = {}) {
  t = await makeTestApp({ env });
  for (const name of ['Acme', 'Beta']) await t.api().post('/api/orgs').set(operator).send({ name }).expect(201);
}

const lookup = (type: string, userId: string, headers: Record<string, string> = {}) =>
  t.api().get('/api/identity').query({ channelType: type, channelUserId: userId }).set(headers).expect(200);
const register = (body: object, headers: Record<string, string> = {}) => t.api().post('/api/identity').set(headers).send(body);
const message = async (userId: string, headers: Record<string, string>) =>
  (await t.api().post('/api/channels/web/messages').set(headers).send({ userId, text: 'hi' }).expect(201)).body as { identityId: string };

describe('GET /api/identity in an org scope', () => {
  it('finds an identity created by a message in that org, and nowhere else but the unscoped view', async () => {
    await twoOrgs();
    const { identityId } = await message('web-ann', inOrg('org-acme'));
    expect((await lookup('web', 'web-ann', inOrg('org-acme'))).body).toMatchObject({ found: true, identity: { id: identityId } });
    expect((await lookup('web', 'web-ann', inOrg('org-beta'))).body).toEqual(NOT_FOUND);
    expect((await lookup('web', 'web-ann', inOrg('default'))).body).toEqual(NOT_FOUND);
    expect((await lookup('web', 'web-ann')).body).toMatchObject({ found: true, identity: { id: identityId } });
  });

  it('finds an identity registered in that org; an unscoped registration belongs to default', async () => {
    await twoOrgs();
    await register({ displayName: 'Ann', role: 'owner', channels: [{ type: 'slack', userId: 'UANN' }] }, inOrg('org-acme')).expect(201);
    await register({ displayName: 'Root', role: 'owner', channels: [{ type: 'slack', userId: 'UROOT' }] }).expect(201);
    expect((await lookup('slack', 'UANN', inOrg('org-acme'))).body.found).toBe(true);
    expect((await lookup('slack', 'UANN', inOrg('org-beta'))).body).toEqual(NOT_FOUND);
    expect((await lookup('slack', 'UROOT', inOrg('default'))).body.found).toBe(true);
    expect((await lookup('slack', 'UROOT', inOrg('org-acme'))).body).toEqual(NOT_FOUND);
  });

  it('finds an identity of another org once it is a member of this one', async () => {
    await twoOrgs();
    const ann = (await register({ displayName: 'Ann', role: 'owner', channels: [{ type: 'slack', userId: 'UANN' }] }, inOrg('org-acme')).expect(201)).body;
    expect((await lookup('slack', 'UANN', inOrg('org-beta'))).body).toEqual(NOT_FOUND);
    await t.api().post('/api/orgs/org-beta/members').send({ identityId: ann.id, role: 'reviewer' }).expect(201);
    expect((await lookup('slack', 'UANN', inOrg('org-beta'))).body).toMatchObject({ found: true, identity: { id: ann.id, displayName: 'Ann' } });
  });

  it('confines an org-bound token the same way, without a header', async () => {
    await twoOrgs({ API_TOKENS: 'tok-a:org-acme,tok-b:org-beta,tok-op:*' }, { Authorization: 'Bearer tok-op' });
    await message('web-ann', { Authorization: 'Bearer tok-a' });
    expect((await lookup('web', 'web-ann', { Authorization: 'Bearer tok-a' })).body.found).toBe(true);
    expect((await lookup('web', 'web-ann', { Authorization: 'Bearer tok-b' })).body).toEqual(NOT_FOUND);
    expect((await lookup('web', 'web-ann', { Authorization: 'Bearer tok-op' })).body.found).toBe(true);
  });

  it('records the registration in the chain of the org it was made in', async () => {
    await twoOrgs();
    const ann = (await register({ displayName: 'Ann', role: 'owner', channels: [{ type: 'slack', userId: 'UANN' }] }, inOrg('org-acme')).expect(201)).body;
    const inAcme = (await t.api().get('/api/audit').query({ action: 'identity_register' }).set(inOrg('org-acme')).expect(200)).body.entries;
    expect(inAcme).toEqual([expect.objectContaining({ orgId: 'org-acme', metadata: { identityId: ann.id, role: 'owner', merged: [] } })]);
    const inDefault = (await t.api().get('/api/audit').query({ action: 'identity_register' }).set(inOrg('default')).expect(200)).body.entries;
    expect(inDefault).toEqual([]);
  });
});

describe('POST /api/identity in an org scope: merges never reach another org', () => {
  it('answers 409 IDENTITY_CONFLICT for a channel whose identity is a member of another org, and merges nothing', async () => {
    await twoOrgs();
    const { identityId } = await message('web-ann', inOrg('org-acme'));
    await t.api().post('/api/orgs/org-acme/members').set(inOrg('org-acme')).send({ identityId, role: 'maintainer' }).expect(201);
    const before = await tableSnapshot(t);
    const res = await register({ displayName: 'Mallory', role: 'owner', channels: [{ type: 'web', userId: 'web-ann' }] }, inOrg('org-beta')).expect(409);
    expect(res.body).toEqual({
      error: "Channel identity 'web:web-ann' already belongs to an identity outside this organization",
      code: 'IDENTITY_CONFLICT',
      status: 409,
    });
    expect(await tableSnapshot(t)).toEqual(before);
    const acme = (await t.api().get('/api/orgs/org-acme').set(inOrg('org-acme')).expect(200)).body;
    expect(acme.members).toEqual([expect.objectContaining({ identityId, displayName: null, role: 'maintainer' })]);
  });

  it('answers 409 too when the identity is a member of this org and another one', async () => {
    await twoOrgs();
    const { identityId } = await message('web-ann', inOrg('org-beta'));
    await t.api().post('/api/orgs/org-beta/members').send({ identityId, role: 'reviewer' }).expect(201);
    await t.api().post('/api/orgs/org-acme/members').send({ identityId, role: 'reviewer' }).expect(201);
    await register({ displayName: 'Ann', role: 'owner', channels: [{ type: 'web', userId: 'web-ann' }] }, inOrg('org-beta')).expect(409);
    expect((await t.api().get('/api/orgs/org-acme').expect(200)).body.members).toEqual([expect.objectContaining({ identityId })]);
  });

  it("merges an auto-created identity whose memberships are all in this org, keeping them in this org", async () => {
    await twoOrgs();
    const { identityId } = await message('web-ann', inOrg('org-acme'));
    await t.api().post('/api/orgs/org-acme/members').set(inOrg('org-acme')).send({ identityId, role: 'reviewer' }).expect(201);
    const ann = (await register({ displayName: 'Ann', role: 'owner', channels: [{ type: 'web', userId: 'web-ann' }] }, inOrg('org-acme')).expect(201)).body;
    const acme = (await t.api().get('/api/orgs/org-acme').set(inOrg('org-acme')).expect(200)).body;
    expect(acme.members).toEqual([expect.objectContaining({ identityId: ann.id, displayName: 'Ann', role: 'reviewer' })]);
    expect((await lookup('web', 'web-ann', inOrg('org-acme'))).body).toMatchObject({ found: true, identity: { id: ann.id } });
  });

  it('keeps the unscoped (operator) registration as before: it merges memberships of any org', async () => {
    await twoOrgs();
    const { identityId } = await message('web-ann', inOrg('org-acme'));
    await t.api().post('/api/orgs/org-acme/members').send({ identityId, role: 'maintainer' }).expect(201);
    const ann = (await register({ displayName: 'Ann', role: 'owner', channels: [{ type: 'web', userId: 'web-ann' }] }).expect(201)).body;
    const acme = (await t.api().get('/api/orgs/org-acme').expect(200)).body;
    expect(acme.members).toEqual([expect.objectContaining({ identityId: ann.id, displayName: 'Ann', role: 'maintainer' })]);
  });
});
