import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const createOrg = async (name: string, actor?: string) => {
  const req = t.api().post('/api/orgs');
  if (actor) req.set('x-actor-id', actor);
  return (await req.send({ name }).expect(201)).body as { id: string };
};

describe('x-org-id validation', () => {
  it.each([
    ['uppercase', 'Org-Acme'],
    ['path traversal', '../../x'],
    ['65 characters', 'a'.repeat(65)],
    ['empty', ''],
    ['an underscore', 'org_acme'],
    ['a space inside', 'org acme'],
  ])('answers 400 INVALID_ORG_ID for %s', async (_why, value) => {
    const res = await t.api().get('/api/orgs').set('x-org-id', value);
    expectError(res, 400, 'INVALID_ORG_ID');
  });

  it('accepts a well-formed id of exactly 64 characters (then checks it exists)', async () => {
    expectError(await t.api().get('/api/audit').set('x-org-id', 'a'.repeat(64)), 404, 'ORG_NOT_FOUND', 'Organization not found');
  });

  it('answers 404 ORG_NOT_FOUND for an unknown org, on reads and writes', async () => {
    expectError(await t.api().get('/api/audit').set(inOrg('org-ghost')), 404, 'ORG_NOT_FOUND', 'Organization not found');
    expectError(await t.api().post('/api/orgs').set(inOrg('org-ghost')).send({ name: 'Ghost' }), 404, 'ORG_NOT_FOUND');
    // Nothing was created by the refused write.
    expect((await t.api().get('/api/orgs').expect(200)).body).toHaveLength(1);
  });

  it('checks the header before the body', async () => {
    const res = await t.api().post('/api/orgs').set('x-org-id', 'BAD').set('Content-Type', 'application/json').send('{oops');
    expectError(res, 400, 'INVALID_ORG_ID');
  });

  it('ignores the header on /health entirely: a malformed, unknown or existing org all get the same answer', async () => {
    const plain = (await t.api().get('/health').expect(200)).body;
    for (const path of ['/health', '/v1/health']) {
      for (const value of ['NOT_VALID', 'org-ghost', 'default', '../../x', '']) {
        expect((await t.api().get(path).set('x-org-id', value).expect(200)).body, `${path} ${value}`).toEqual(plain);
      }
    }
  });

  it('validates the header under /v1/api the same way', async () => {
    expectError(await t.api().get('/v1/api/orgs').set('x-org-id', 'UPPER'), 400, 'INVALID_ORG_ID');
    expectError(await t.api().get('/v1/api/orgs').set('x-org-id', 'org-ghost'), 404, 'ORG_NOT_FOUND');
  });
});

describe('org isolation', () => {
  beforeEach(async () => {
    await createOrg('Alpha');
    await createOrg('Beta');
    (await t.services.audit.append({ orgId: 'org-alpha', actorType: 'agent', actorId: 'agent-a', action: 'status', metadata: { who: 'a' } }));
    (await t.services.audit.append({ orgId: 'org-beta', actorType: 'agent', actorId: 'agent-b', action: 'status', metadata: { who: 'b' } }));
  });

  it("hides each org's audit entries from the other, both ways", async () => {
    const a = await t.api().get('/api/audit').set(inOrg('org-alpha')).expect(200);
    const b = await t.api().get('/api/audit').set(inOrg('org-beta')).expect(200);
    expect(a.body.total).toBe(2);
    expect(b.body.total).toBe(2);
    expect(a.body.entries.every((e: { orgId: string }) => e.orgId === 'org-alpha')).toBe(true);
    expect(b.body.entries.every((e: { orgId: string }) => e.orgId === 'org-beta')).toBe(true);
    // Filters cannot reach across either.
    const cross = await t.api().get('/api/audit?actorId=agent-b').set(inOrg('org-alpha')).expect(200);
    expect(cross.body).toMatchObject({ entries: [], total: 0 });
  });

  it("answers another org's details as not found, both ways", async () => {
    expectError(await t.api().get('/api/orgs/org-beta').set(inOrg('org-alpha')), 404, 'ORG_NOT_FOUND', 'Organization not found');
    expectError(await t.api().get('/api/orgs/org-alpha').set(inOrg('org-beta')), 404, 'ORG_NOT_FOUND', 'Organization not found');
    expectError(await t.api().get('/api/orgs/default').set(inOrg('org-beta')), 404, 'ORG_NOT_FOUND');
    await t.api().get('/api/orgs/org-alpha').set(inOrg('org-alpha')).expect(200);
  });

  it('lists only the scoped org with the header', async () => {
    const res = await t.api().get('/api/orgs').set(inOrg('org-beta')).expect(200);
    expect(res.body.map((o: { id: string }) => o.id)).toEqual(['org-beta']);
  });

  it('verifies only the scoped chain with the header', async () => {
    const res = await t.api().get('/api/audit/verify').set(inOrg('org-alpha')).expect(200);
    expect(res.body).toEqual({ valid: true, checked: 2, brokenAt: null, keyed: false, unkeyed: 2 });
  });

  it('lets reads without the header see every org', async () => {
    const orgs = await t.api().get('/api/orgs').expect(200);
    expect(orgs.body.map((o: { id: string }) => o.id).sort()).toEqual(['default', 'org-alpha', 'org-beta']);
    const audit = await t.api().get('/api/audit').expect(200);
    expect(audit.body.total).toBe(4);
    expect(new Set(audit.body.entries.map((e: { orgId: string }) => e.orgId))).toEqual(new Set(['org-alpha', 'org-beta']));
    await t.api().get('/api/orgs/org-alpha').expect(200);
    await t.api().get('/api/orgs/org-beta').expect(200);
  });
});

describe('x-actor-id', () => {
  it('is recorded as the actorId of the audit entry, with actorType user', async () => {
    await createOrg('Acted', 'slack:U1234ABCD');
    const res = await t.api().get('/api/audit').set(inOrg('org-acted')).expect(200);
    expect(res.body.entries[0]).toMatchObject({ action: 'org_create', actorType: 'user', actorId: 'slack:U1234ABCD', result: 'completed' });
  });

  it('defaults to api', async () => {
    await createOrg('Anonymous');
    const res = await t.api().get('/api/audit').set(inOrg('org-anonymous')).expect(200);
    expect(res.body.entries[0]).toMatchObject({ actorType: 'user', actorId: 'api' });
  });

  it('accepts 128 printable characters including spaces', async () => {
    const actor = `ci:github actions ${'x'.repeat(110)}`;
    expect(actor).toHaveLength(128);
    await createOrg('Long Actor', actor);
    const res = await t.api().get('/api/audit').set(inOrg('org-long-actor')).expect(200);
    expect(res.body.entries[0].actorId).toBe(actor);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['empty', ''],
    ['with a tab (a control character)', 'ci:\tbot'],
    ['with a non-ASCII character', 'caf\u00e9'],
  ])('answers 400 INVALID_ACTOR_ID when %s, and writes nothing', async (_why, actor) => {
    const res = await t.api().post('/api/orgs').set('x-actor-id', actor).send({ name: 'Refused' });
    expectError(res, 400, 'INVALID_ACTOR_ID');
    expect((await t.api().get('/api/orgs').expect(200)).body).toHaveLength(1);
    expect((await t.api().get('/api/audit').expect(200)).body.total).toBe(0);
  });

  it('answers 400 INVALID_ACTOR_ID on reads too', async () => {
    expectError(await t.api().get('/api/audit').set('x-actor-id', 'b'.repeat(200)), 400, 'INVALID_ACTOR_ID');
  });
});
