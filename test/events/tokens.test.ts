import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { listen, openStream, type Stream } from './support.js';

const ORG_TOKEN = 'events-org-token-0123456789';
const OPS_TOKEN = 'events-operator-token-0123';
let t: TestApp;
let srv: Awaited<ReturnType<typeof listen>>;
const opened: Stream[] = [];
const open = async (headers: Record<string, string>, path = '/api/events') => {
  const s = await openStream(srv.base, path, headers);
  opened.push(s);
  return s;
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await makeTestApp({ env: { API_TOKENS: `${ORG_TOKEN}:org-tok,${OPS_TOKEN}:*`, CORS_ORIGINS: 'https://dash.example' } });
  srv = await listen(t.app);
  await t.api().post('/api/orgs').set(bearer(OPS_TOKEN)).send({ name: 'Tok' }).expect(201);
  await t.api().post('/api/orgs').set(bearer(OPS_TOKEN)).send({ name: 'Other' }).expect(201);
});
afterAll(async () => {
  opened.forEach((s) => s.close());
  await srv.close();
  await t.close();
});

describe('GET /api/events with API_TOKENS set', () => {
  it('answers 401 without a token and 403 for another org than the token’s, as every /api GET', async () => {
    expect((await open({})).body).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect((await open({ ...bearer(ORG_TOKEN), 'x-org-id': 'org-other' })).body).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('scopes an org token’s stream to its org, and a * token’s to every org and the instance', async () => {
    const mine = await open(bearer(ORG_TOKEN));
    const all = await open(bearer(OPS_TOKEN));
    expect([mine.status, all.status]).toEqual([200, 200]);
    await t.api().post('/api/agents').set({ ...bearer(OPS_TOKEN), 'x-org-id': 'org-other' }).send({ name: 'theirs', type: 'task' }).expect(201);
    await t.api().post('/api/agents').set(bearer(ORG_TOKEN)).send({ name: 'mine', type: 'task' }).expect(201);
    await t.api().post('/api/scheduler/audit-cleanup/run').set(bearer(OPS_TOKEN)).expect(200);
    await all.next((f) => f.event === 'scheduler.run');
    await mine.next((f) => f.event === 'agent.created');
    await all.next((f) => f.event === 'agent.created' && f.data!.data.name === 'mine');
    await t.api().post('/api/agents').set(bearer(ORG_TOKEN)).send({ name: 'last', type: 'task' }).expect(201);
    await mine.next((f) => f.event === 'audit.appended' && (f.data!.data.metadata as { name?: string }).name === 'last');
    expect(mine.frames.every((f) => f.data!.orgId === 'org-tok')).toBe(true);
    expect(all.frames.some((f) => f.data!.orgId === 'org-other')).toBe(true);
  });

  it('refuses no cross-site GET: the stream is a read, like every /api GET', async () => {
    const s = await open({ ...bearer(ORG_TOKEN), origin: 'https://elsewhere.example' });
    expect(s.status).toBe(200);
  });
});
