import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeEach(() => {
  t = makeTestApp();
});
afterEach(() => t.close());

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
  });
});
