import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { deriveSlug } from '../../src/orgs/orgs.slug.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const create = (body: unknown, actor?: string) => {
  const req = t.api().post('/api/orgs');
  if (actor) req.set('x-actor-id', actor);
  return req.send(body as object);
};
const orgCount = async () => (await t.api().get('/api/orgs').expect(200)).body.length as number;
const auditTotal = async () => (await t.api().get('/api/audit').expect(200)).body.total as number;

describe('POST /api/orgs', () => {
  it('creates an org with a slug derived from the name and answers 201', async () => {
    const res = await t.api().post('/api/orgs').send({ name: 'Acme Corp' }).expect(201);
    expect(res.body).toEqual({
      id: 'org-acme-corp',
      name: 'Acme Corp',
      slug: 'acme-corp',
      projectCount: 0,
      memberCount: 0,
      createdAt: '2026-06-01T12:00:00.000Z',
    });
    const list = await t.api().get('/api/orgs').expect(200);
    expect(list.body).toContainEqual(res.body);
  });

  it("writes org_create as the first entry of the new org's own chain, as the x-actor-id", async () => {
    await create({ name: 'Acme Corp' }, 'slack:U1234ABCD').expect(201);
    const res = await t.api().get('/api/audit').set(inOrg('org-acme-corp')).expect(200);
    expect(res.body.total).toBe(1);
    expect(res.body.entries[0]).toMatchObject({
      action: 'org_create',
      actorType: 'user',
      actorId: 'slack:U1234ABCD',
      result: 'completed',
      risk: 'medium',
      orgId: 'org-acme-corp',
      projectId: null,
      timestamp: '2026-06-01T12:00:00.000Z',
    });
    expect((await t.api().get('/api/audit').set(inOrg('default')).expect(200)).body.total).toBe(0);
    expect((await t.api().get('/api/audit/verify').set(inOrg('org-acme-corp')).expect(200)).body).toEqual({ valid: true, checked: 1, brokenAt: null, keyed: false, unkeyed: 1 });
  });

  it('trims the name', async () => {
    const res = await create({ name: '  Spaced Out  ' }).expect(201);
    expect(res.body).toMatchObject({ name: 'Spaced Out', slug: 'spaced-out' });
  });

  it.each([
    ['Café Société', 'cafe-societe'],
    ['Acme, Inc. (EU)!', 'acme-inc-eu'],
    ['  --Hello__World--  ', 'hello-world'],
    ['Ünïcödé Ñame 2026', 'unicode-name-2026'],
    ['R&D / Ops', 'r-d-ops'],
    ['x', 'x'],
  ])('derives the slug of %j as %j', async (name, slug) => {
    const res = await create({ name }).expect(201);
    expect(res.body).toMatchObject({ id: `org-${slug}`, slug, name: name.trim() });
  });

  it('cuts a long derived slug to 50 at a group boundary', async () => {
    const name = 'Abcdefghij Klmnopqrst Uvwxyzabcd Efghijklmn Opqrstuvwx Yzabcdefgh Ijklmnopqr Stuvwxyzab Cdefghijkl';
    expect(name.length).toBeLessThanOrEqual(100);
    const res = await create({ name }).expect(201);
    expect(res.body.slug).toBe('abcdefghij-klmnopqrst-uvwxyzabcd-efghijklmn');
    const exactly50 = await create({ name: `${'a'.repeat(24)} ${'b'.repeat(25)} tail` }).expect(201);
    expect(exactly50.body.slug).toBe(`${'a'.repeat(24)}-${'b'.repeat(25)}`);
    expect(exactly50.body.slug).toHaveLength(50);
  });

  it('derives from a 120-character name at a group boundary (unit)', () => {
    const name = 'Northwind Traders '.repeat(7).slice(0, 120);
    expect(name).toHaveLength(120);
    const slug = deriveSlug(name);
    expect(slug).toBe('northwind-traders-northwind-traders-northwind');
    expect(slug.length).toBeLessThanOrEqual(50);
  });

  it('answers 400 INVALID_SLUG when nothing sluggable is left of the name', async () => {
    for (const name of ['!!!', '日本語', 'a'.repeat(51)]) {
      expectError(await create({ name }), 400, 'INVALID_SLUG');
    }
    expect(await orgCount()).toBe(1);
  });

  it('accepts an explicit valid slug, up to 50 characters', async () => {
    const res = await create({ name: 'Whatever Name', slug: 'my-org-2' }).expect(201);
    expect(res.body).toMatchObject({ id: 'org-my-org-2', slug: 'my-org-2', name: 'Whatever Name' });
    const long = await create({ name: 'Long', slug: `${'a'.repeat(25)}-${'b'.repeat(24)}` }).expect(201);
    expect(long.body.slug).toHaveLength(50);
  });

  it.each([
    ['uppercase', 'Acme'],
    ['a double hyphen', 'acme--corp'],
    ['a leading hyphen', '-acme'],
    ['a trailing hyphen', 'acme-'],
    ['51 characters', 'a'.repeat(51)],
    ['a space', 'acme corp'],
    ['an underscore', 'acme_corp'],
    ['an accent', 'café'],
    ['empty', ''],
    ['not a string', 42],
  ])('answers 400 INVALID_SLUG for an explicit slug with %s, writing nothing', async (_why, slug) => {
    expectError(await create({ name: 'Fine Name', slug }), 400, 'INVALID_SLUG');
    expect(await orgCount()).toBe(1);
    expect(await auditTotal()).toBe(0);
  });

  it.each([
    ['missing', {}],
    ['empty', { name: '' }],
    ['whitespace', { name: '   \t ' }],
    ['null', { name: null }],
  ])('answers 400 MISSING_FIELD when the name is %s', async (_why, body) => {
    expectError(await create(body), 400, 'MISSING_FIELD', 'Organization name is required');
  });

  it('answers 400 MISSING_FIELD for a POST without any body', async () => {
    expectError(await t.api().post('/api/orgs'), 400, 'MISSING_FIELD', 'Organization name is required');
  });

  it('answers 400 VALIDATION_ERROR for a name over 100 characters, and accepts 100', async () => {
    const res = await create({ name: 'n'.repeat(101) });
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.details).toEqual([{ path: 'body.name', message: expect.any(String) }]);
    expectError(await create({ name: `Over ${'n'.repeat(116)}` }), 400, 'VALIDATION_ERROR');
    const hundred = `${'abcd '.repeat(19)}abcde`;
    expect(hundred).toHaveLength(100);
    expect((await create({ name: hundred }).expect(201)).body.name).toBe(hundred);
  });

  it('answers 400 VALIDATION_ERROR for a name that is not a string', async () => {
    expectError(await create({ name: 42 }), 400, 'VALIDATION_ERROR');
  });

  it('answers 409 ORG_ALREADY_EXISTS for a taken slug, derived or explicit, writing nothing', async () => {
    await create({ name: 'Acme Corp' }).expect(201);
    const again = await create({ name: 'ACME corp!' });
    expectError(again, 409, 'ORG_ALREADY_EXISTS', "Organization with slug 'acme-corp' already exists");
    expectError(await create({ name: 'Other', slug: 'acme-corp' }), 409, 'ORG_ALREADY_EXISTS', "Organization with slug 'acme-corp' already exists");
    expectError(await create({ name: 'Default' }), 409, 'ORG_ALREADY_EXISTS', "Organization with slug 'default' already exists");
    expect(await orgCount()).toBe(2);
    expect(await auditTotal()).toBe(1);
  });
});

describe('GET /api/orgs', () => {
  it('lists the default org from the start', async () => {
    const res = await t.api().get('/api/orgs').expect(200);
    expect(res.body).toEqual([
      { id: 'default', name: expect.any(String), slug: 'default', projectCount: 0, memberCount: 0, createdAt: expect.any(String) },
    ]);
  });
});

describe('GET /api/orgs/:id', () => {
  it('answers the org with projects [] and members []', async () => {
    const created = await create({ name: 'Acme Corp' }).expect(201);
    const res = await t.api().get('/api/orgs/org-acme-corp').expect(200);
    expect(res.body).toEqual({ ...created.body, projects: [], members: [] });
    const scoped = await t.api().get('/api/orgs/org-acme-corp').set(inOrg('org-acme-corp')).expect(200);
    expect(scoped.body).toEqual(res.body);
  });

  it('answers the default org', async () => {
    const res = await t.api().get('/api/orgs/default').expect(200);
    expect(res.body).toMatchObject({ id: 'default', slug: 'default', projects: [], members: [] });
  });

  it.each(['org-unknown', 'ORG-ACME', 'x'.repeat(200)])('answers 404 ORG_NOT_FOUND for %s', async (id) => {
    expectError(await t.api().get(`/api/orgs/${id}`), 404, 'ORG_NOT_FOUND', 'Organization not found');
  });

  it('does not write to the audit trail', async () => {
    await t.api().get('/api/orgs/default').expect(200);
    await t.api().get('/api/orgs').expect(200);
    expect(await auditTotal()).toBe(0);
  });
});
