import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { linkRepo, REPO } from '../webhooks/fixtures.js';
import { DEPLOY_SECRET, report } from './fixtures.js';

let t: TestApp;
afterEach(async () => await t.close());

async function seed() {
  // Signed: with tokens handed out, an unsigned instance URL would reach the default org only.
  t = await makeTestApp({ env: { API_TOKENS: 'op-token:*,acme-token:org-acme', DEPLOY_WEBHOOK_SECRET: DEPLOY_SECRET } });
  const op = { authorization: 'Bearer op-token' };
  await t.api().post('/api/orgs').set(op).send({ name: 'Acme' }).expect(201);
  const a = (await t.api().post('/api/projects').set(op).send({ repo: REPO }).expect(201)).body.id as string;
  const b = (await t.api().post('/api/projects').set(op).send({ repo: 'acme/web' }).expect(201)).body.id as string;
  const c = (await t.api().post('/api/projects').set({ ...op, 'x-org-id': 'org-acme' }).send({ repo: 'acme/mobile' }).expect(201)).body.id as string;
  const sent = [
    { project: a, status: 'started' },
    { project: a, status: 'succeeded' },
    { project: b, status: 'failed', environment: 'staging' },
    { project: c, status: 'rolled_back' },
  ];
  for (const s of sent) {
    await report(t, s, { secret: DEPLOY_SECRET }).expect(200);
    t.deps.clock.advance(1000);
  }
  return { a, b, c, op };
}

const list = (query: string, headers: Record<string, string>) => t.api().get(`/api/deploys${query}`).set(headers);

describe('GET /api/deploys', () => {
  it('lists every org newest first for an operator, with each filter and the limit', async () => {
    const { a, b, c, op } = await seed();
    const all = (await list('', op).expect(200)).body as Array<{ projectId: string; status: string; at: string }>;
    expect(all.map((d) => [d.projectId, d.status])).toEqual([
      [c, 'rolled_back'],
      [b, 'failed'],
      [a, 'succeeded'],
      [a, 'started'],
    ]);
    expect((await list(`?projectId=${a}`, op).expect(200)).body.map((d: { status: string }) => d.status)).toEqual(['succeeded', 'started']);
    expect((await list('?environment=staging', op).expect(200)).body.map((d: { projectId: string }) => d.projectId)).toEqual([b]);
    expect((await list('?status=failed', op).expect(200)).body).toHaveLength(1);
    expect((await list('?limit=1', op).expect(200)).body.map((d: { projectId: string }) => d.projectId)).toEqual([c]);
    expect((await list('?limit=&status=', op).expect(200)).body).toHaveLength(4);
  });

  it("shows an org token its own org's deploys only, and nothing of another org's project", async () => {
    const { a, c } = await seed();
    const acme = { authorization: 'Bearer acme-token' };
    expect((await list('', acme).expect(200)).body.map((d: { projectId: string }) => d.projectId)).toEqual([c]);
    expect((await list(`?projectId=${a}`, acme).expect(200)).body).toEqual([]);
    expectError(await list('', { ...acme, 'x-org-id': 'default' }), 403, 'FORBIDDEN');
    expectError(await list('', {}), 401, 'UNAUTHORIZED');
  });

  it('defaults to the 20 newest', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    for (let i = 0; i < 22; i++) await report(t, { project: REPO, status: 'started', message: `#${i}` }).expect(200);
    const res = (await t.api().get('/api/deploys').expect(200)).body as Array<{ message: string }>;
    expect(res).toHaveLength(20);
    expect(res[0]!.message).toBe('#21');
  });

  it.each(['limit=0', 'limit=101', 'limit=1.5', 'limit=x', 'status=done', 'limit=1&limit=2'])('answers 400 INVALID_PARAMETER for %s', async (q) => {
    t = await makeTestApp();
    expectError(await t.api().get(`/api/deploys?${q}`), 400, 'INVALID_PARAMETER');
  });
});
