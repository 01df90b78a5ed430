import { column, countRows, tableSnapshot } from '../helpers/engine-db.js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp, sqliteOf } from '../helpers/app.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';
import { auditTotal, createOrg, gate, until } from './support.js';

const HOUR = 3_600_000;
let t: TestApp;
let stub: Stub | undefined;
afterEach(async () => {
  t.close();
  await stub?.close();
  stub = undefined;
});

const keyRows = () => countRows(t, 'idempotency_keys');
const agentsIn = async (orgId: string) => (await t.api().get('/api/agents').set(inOrg(orgId)).expect(200)).body as Array<{ id: string }>;

/** A GitHub stub whose repo look-up waits until the test opens the gate. */
async function slowGitHub() {
  const held = gate();
  stub = await startStub(async (req, res) => {
    if (req.method === 'GET' && req.path === '/repos/acme/api') {
      await held.promise;
      return sendJson(res, 200, { full_name: 'acme/api', default_branch: 'main' });
    }
    sendJson(res, 404, { message: 'Not Found' });
  });
  return held;
}

describe('Idempotency-Key on POST and DELETE', () => {
  it('runs the first request, keeps its answer and replays it without running again', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const first = await t.api().post('/api/agents').set({ ...inOrg(org), 'Idempotency-Key': 'ci-run-1' }).send({ name: 'bot', type: 'task' }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const entries = await auditTotal(t, org);

    const again = await t.api().post('/api/agents').set({ ...inOrg(org), 'Idempotency-Key': 'ci-run-1' }).send({ name: 'bot', type: 'task' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await auditTotal(t, org)).toBe(entries);
    expect((await agentsIn(org)).map((a) => a.id)).toEqual([first.body.id]);
  });

  it('replays across /api and /v1/api: both prefixes are one request', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const first = await t.api().post('/api/agents').set({ ...inOrg(org), 'Idempotency-Key': 'k' }).send({ name: 'bot', type: 'task' }).expect(201);
    const again = await t.api().post('/v1/api/agents').set({ ...inOrg(org), 'Idempotency-Key': 'k' }).send({ name: 'bot', type: 'task' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await agentsIn(org)).toHaveLength(1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body or another path', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const key = { ...inOrg(org), 'Idempotency-Key': 'k' };
    const created = await t.api().post('/api/agents').set(key).send({ name: 'bot', type: 'task' }).expect(201);
    const entries = await auditTotal(t, org);
    const reused = {
      error: 'This Idempotency-Key was used for a different request',
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
    };
    const otherBody = await t.api().post('/api/agents').set(key).send({ name: 'other', type: 'task' }).expect(422);
    expect(otherBody.body).toEqual(reused);
    const otherPath = await t.api().post(`/api/agents/${created.body.id}/action`).set(key).send({ action: 'suspend' }).expect(422);
    expect(otherPath.body).toEqual(reused);
    const otherMethod = await t.api().delete(`/api/agents/${created.body.id}`).set(key).expect(422);
    expect(otherMethod.body).toEqual(reused);
    expect(await auditTotal(t, org)).toBe(entries);
    expect(await agentsIn(org)).toHaveLength(1);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS to a repeat that arrives while the first still runs', async () => {
    const held = await slowGitHub();
    t = await makeTestApp({ env: { GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: stub!.url } });
    const send = () => t.api().post('/api/projects').set({ 'Idempotency-Key': 'deploy-42' }).send({ repo: 'acme/api' });
    const first = send().then((r) => r);
    await until(() => stub!.requests.length === 1, 'the first request to reach GitHub');

    const repeat = await send().expect(409);
    expect(repeat.body).toEqual({
      error: 'A request with this Idempotency-Key is still being processed',
      code: 'IDEMPOTENCY_IN_PROGRESS',
      status: 409,
    });
    held.open();
    const done = await first;
    expect(done.status).toBe(201);
    const replay = await send().expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(done.body);
    expect(stub!.requests).toHaveLength(1);
    expect((await t.api().get('/api/projects').expect(200)).body.projects).toHaveLength(1);
  });

  it('scopes keys by org: the same key in two orgs runs twice', async () => {
    t = await makeTestApp();
    const a = await createOrg(t, 'Alpha');
    const b = await createOrg(t, 'Beta');
    const inA = await t.api().post('/api/agents').set({ ...inOrg(a), 'Idempotency-Key': 'shared' }).send({ name: 'bot', type: 'task' }).expect(201);
    const inB = await t.api().post('/api/agents').set({ ...inOrg(b), 'Idempotency-Key': 'shared' }).send({ name: 'bot', type: 'task' }).expect(201);
    expect(inB.headers['idempotent-replayed']).toBeUndefined();
    expect(inB.body.id).not.toBe(inA.body.id);
    expect(inA.body.orgId).toBe(a);
    expect(inB.body.orgId).toBe(b);
    expect(await agentsIn(a)).toHaveLength(1);
    expect(await agentsIn(b)).toHaveLength(1);
  });

  it('keeps an answer for 24 h; after that the key runs again and expired keys are pruned', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const send = (key: string) => t.api().post('/api/agents').set({ ...inOrg(org), 'Idempotency-Key': key }).send({ name: 'bot', type: 'task' });
    const first = await send('nightly').expect(201);
    await send('other').expect(201);
    expect(await keyRows()).toBe(2);

    t.deps.clock.advance(24 * HOUR - 1);
    expect((await send('nightly').expect(201)).headers['idempotent-replayed']).toBe('true');

    t.deps.clock.advance(2);
    const rerun = await send('nightly').expect(201);
    expect(rerun.headers['idempotent-replayed']).toBeUndefined();
    expect(rerun.body.id).not.toBe(first.body.id);
    expect(await agentsIn(org)).toHaveLength(3);

    // Pruning runs at most hourly, on a keyed request: `other` expired and is swept then.
    t.deps.clock.advance(HOUR);
    await send('later').expect(201);
    expect(await column(t, 'SELECT key FROM idempotency_keys ORDER BY key')).toEqual(['later', 'nightly']);
  });

  it.each([
    ['256 characters', 'k'.repeat(256)],
    ['a tab (control character)', 'ci\trun'],
    ['an empty value', ''],
    ['only spaces', '   '],
    ['non-ASCII bytes', 'cl\u00e9'],
  ])('answers 400 VALIDATION_ERROR to a key of %s and runs nothing', async (_what, key) => {
    t = await makeTestApp();
    const res = await t.api().post('/api/agents').set('Idempotency-Key', key).send({ name: 'bot', type: 'task' }).expect(400);
    expect(res.body).toEqual({ error: 'Idempotency-Key must be 1-255 printable characters', code: 'VALIDATION_ERROR', status: 400 });
    expect(await agentsIn('default')).toHaveLength(0);
    expect(await keyRows()).toBe(0);
  });

  it('accepts a key of 255 printable characters', async () => {
    t = await makeTestApp();
    const key = '~'.repeat(200) + ' ci:run/42-attempt#1'.padEnd(55, '!');
    await t.api().post('/api/agents').set('Idempotency-Key', key).send({ name: 'bot', type: 'task' }).expect(201);
    const again = await t.api().post('/api/agents').set('Idempotency-Key', key).send({ name: 'bot', type: 'task' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('supports DELETE: a retried delete replays its 200 instead of answering 404', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const agent = await t.api().post('/api/agents').set(inOrg(org)).send({ name: 'bot', type: 'task' }).expect(201);
    const del = () => t.api().delete(`/api/agents/${agent.body.id}`).set({ ...inOrg(org), 'Idempotency-Key': 'rm-1' });
    const first = await del().expect(200);
    const entries = await auditTotal(t, org);
    const again = await del().expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await auditTotal(t, org)).toBe(entries);
    await t.api().delete(`/api/agents/${agent.body.id}`).set(inOrg(org)).expect(404);
  });

  it('keeps a 4xx answer too: the retry sees the same error', async () => {
    t = await makeTestApp();
    const send = () => t.api().post('/api/agents/agent-task-nope00/action').set('Idempotency-Key', 'k').send({ action: 'suspend' });
    const first = await send().expect(404);
    const again = await send().expect(404);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('keeps a 5xx answer like any other: the repeat is replayed and GitHub is not called again', async () => {
    stub = await startStub((_req, res) => sendJson(res, 500, { message: 'boom' }));
    t = await makeTestApp({ env: { GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: stub.url } });
    const send = () => t.api().post('/api/projects').set('Idempotency-Key', 'k').send({ repo: 'acme/api' });
    const first = await send().expect(502);
    expect(first.body.code).toBe('GITHUB_UNAVAILABLE');
    expect(await keyRows()).toBe(1);

    stub.handle((_req, res) => sendJson(res, 200, { full_name: 'acme/api', default_branch: 'main' }));
    const again = await send().expect(502);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(stub.requests).toHaveLength(1);
  });

  it('does not keep a 429 answer: the limiter answers before any key is claimed', async () => {
    t = await makeTestApp({ env: { RATE_LIMIT_MAX: '1' } });
    await t.api().get('/api/orgs').expect(200);
    const limited = await t.api().post('/api/agents').set('Idempotency-Key', 'k').send({ name: 'bot', type: 'task' }).expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(await keyRows()).toBe(0);
  });

  it('fingerprints a deeply nested body without recursing (answers 400, not 500)', async () => {
    t = await makeTestApp();
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const res = await t.api().post('/api/orgs').set('Idempotency-Key', 'deep').type('json').send(`{"name":${deep}}`).expect(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
  });

  it('ignores the key on GET', async () => {
    t = await makeTestApp();
    await t.api().get('/api/orgs').set('Idempotency-Key', 'k').expect(200);
    expect(await keyRows()).toBe(0);
  });
});
