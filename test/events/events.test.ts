import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { listen, openStream, type Stream } from './support.js';

const ORG = 'org-acme';
let t: TestApp;
let srv: Awaited<ReturnType<typeof listen>>;
const streams: Stream[] = [];
const open = async (path: string, headers: Record<string, string> = {}) => {
  const s = await openStream(srv.base, path, headers);
  streams.push(s);
  return s;
};

beforeAll(async () => {
  t = await makeTestApp({ env: { EVENTS_HEARTBEAT_MS: '200' } });
  srv = await listen(t.app);
  await t.api().post('/api/orgs').send({ name: 'Acme', slug: 'acme' }).expect(201);
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await srv.close();
  await t.close();
});

const createAgent = (org: string, name: string) => t.api().post('/api/agents').set(inOrg(org)).send({ name, type: 'task' }).expect(201);

describe('GET /api/events', () => {
  it('answers 200 text/event-stream with the documented headers and sends retry and a comment at once', async () => {
    const s = await open('/api/events');
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.headers['cache-control']).toBe('no-cache');
    expect(s.headers['x-accel-buffering']).toBe('no');
    expect(s.headers['x-api-version']).toBe('v1');
    await s.comment(() => true);
    expect(s.first.startsWith('retry: 3000\n:')).toBe(true);
  });

  it('is served under /v1 too, and sends an agent.created frame and its audit.appended frame with a cursor', async () => {
    const s = await open('/v1/api/events', inOrg(ORG));
    await s.comment(() => true);
    const { body } = await createAgent(ORG, 'live one');
    const created = await s.next((f) => f.event === 'agent.created');
    expect(created.id).toBeUndefined();
    expect(created.data).toMatchObject({ type: 'agent.created', orgId: ORG, data: { id: body.id, name: 'live one', status: 'ACTIVE' } });
    expect(Date.parse(created.data!.at)).not.toBeNaN();
    const appended = await s.next((f) => f.event === 'audit.appended' && f.data!.data.action === 'agent_create');
    expect(appended.id).toMatch(/^[0-9]+$/);
    const page = await t.api().get('/api/audit?limit=1').set(inOrg(ORG)).expect(200);
    expect(appended.data!.data).toEqual(page.body.entries[0]);
  });

  it('keeps only the types asked for with ?types=', async () => {
    const s = await open('/api/events?types=agent.deleted,agent.created', inOrg(ORG));
    await s.comment(() => true);
    const { body } = await createAgent(ORG, 'typed');
    await t.api().delete(`/api/agents/${body.id}`).set(inOrg(ORG)).expect(200);
    await s.next((f) => f.event === 'agent.deleted');
    expect(s.frames.map((f) => f.event)).toEqual(['agent.created', 'agent.deleted']);
    expect(s.frames[1]!.data!.data).toEqual({ id: body.id });
  });

  it('answers 400 INVALID_PARAMETER for an unknown type and for a malformed cursor, in either form', async () => {
    for (const [path, headers] of [
      ['/api/events?types=agent.created,agent.exploded', {}],
      ['/api/events?lastEventId=abc', {}],
      ['/api/events', { 'Last-Event-ID': '12x' }],
      ['/api/events', { 'Last-Event-ID': '-1' }],
    ] as Array<[string, Record<string, string>]>) {
      const res = await t.api().get(path).set(headers).expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_PARAMETER', status: 400 });
    }
  });

  it('sends a heartbeat comment on an idle stream', async () => {
    const s = await open('/api/events', inOrg(ORG));
    await s.comment((c) => c === 'heartbeat');
  });

  it('answers HEAD with the stream headers and no stream', async () => {
    const res = await t.api().head('/api/events').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  });
});
