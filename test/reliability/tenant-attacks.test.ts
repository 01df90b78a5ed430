import { countRows, tableSnapshot } from '../helpers/engine-db.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';
import { dbSnapshot } from './support.js';

/**
 * What a tenant holding one org's token tried against a shared deployment, each written the
 * way the attacker sent it, and what it gets now. After each attempt the whole database and
 * the in-memory state (tasks, channels) are compared with what they were before.
 */

const MALLORY = 'tok-mallory-org-b';
const ALICE = 'tok-alice-org-a';
const OPS = 'tok-operator';
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const OPERATOR_REQUIRED = { error: 'Operator token required', code: 'FORBIDDEN', status: 403 };

let t: TestApp;
let internal: Stub;
beforeEach(async () => {
  // An internal service the attacker wants the server to call (loopback, like anything a test dials).
  internal = await startStub((_req, res) => sendJson(res, 200, { instance: { state: 'open' } }));
});
afterEach(async () => {
  t?.close();
  await internal.close();
});

async function deployment(env: Record<string, string> = {}) {
  t = await makeTestApp({
    env: { API_TOKENS: `${ALICE}:org-a,${MALLORY}:org-b,${OPS}:*`, TELEGRAM_API_URL: internal.url, CHANNEL_CONNECT_TIMEOUT_MS: '1000', ...env },
  });
  for (const name of ['A', 'B']) await t.api().post('/api/orgs').set(as(OPS)).send({ name }).expect(201);
}

async function everything() {
  const tasks = (await t.api().get('/api/scheduler').set(as(OPS)).expect(200)).body;
  const channels = (await t.api().get('/api/channels').set(as(OPS)).expect(200)).body;
  return { db: await tableSnapshot(t), tasks, channels };
}

describe('attacks by a tenant holding an org token', () => {
  it('configuring WhatsApp to call an internal address with the instance apikey: 403, nothing stored, nothing called, nothing re-probed', async () => {
    await deployment();
    const before = await everything();
    const res = await t
      .api()
      .post('/api/channels/configure')
      .set(as(MALLORY))
      .send({ channel: 'whatsapp', config: { evolutionApiUrl: `${internal.url}/admin`, evolutionApiKey: 'x', evolutionInstance: 'probe' } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(OPERATOR_REQUIRED);
    expect(await everything()).toEqual(before);
    // The scheduled health check has nothing of the attacker's to retry.
    await t.api().post('/api/scheduler/health-check/run').set(as(OPS)).expect(200);
    expect(internal.requests).toHaveLength(0);
  });

  it("replacing the instance's Telegram bot token: 403, the operator's token stays", async () => {
    await deployment();
    await t.api().post('/api/channels/configure').set(as(OPS)).send({ channel: 'telegram', config: { botToken: '111:operator' } }).expect(200);
    const before = await everything();
    for (const path of ['/api/channels/configure', '/v1/api/channels/configure']) {
      const res = await t.api().post(path).set(as(MALLORY)).send({ channel: 'telegram', config: { botToken: '666:mallory' } });
      expect(res.body).toEqual(OPERATOR_REQUIRED);
    }
    const reconnect = await t.api().post('/api/channels/telegram/reconnect').set(as(MALLORY));
    expect(reconnect.body).toEqual(OPERATOR_REQUIRED);
    expect(await everything()).toEqual(before);
    expect(internal.requests.map((r) => r.path)).toEqual(['/bot111:operator/getMe']);
  });

  it('pausing audit-cleanup, deleting build-status-report, running a task and creating orgs: 403 each, nothing changed', async () => {
    await deployment();
    const before = await everything();
    const attempts = [
      t.api().post('/api/scheduler/audit-cleanup/pause').set(as(MALLORY)),
      t.api().delete('/api/scheduler/build-status-report').set(as(MALLORY)),
      t.api().post('/v1/api/scheduler/audit-cleanup/run').set(as(MALLORY)),
      t.api().post('/api/scheduler/health-check/resume').set(as(MALLORY)),
      t.api().post('/api/orgs').set(as(MALLORY)).send({ name: 'Mallory Holdings' }),
      t.api().post('/api/orgs').set({ ...as(MALLORY), 'x-org-id': 'org-b' }).send({ name: 'Mallory Two' }),
    ];
    for (const attempt of attempts) expect((await attempt).body).toEqual(OPERATOR_REQUIRED);
    expect(await everything()).toEqual(before);
    // What org tokens keep: reading the instance's channels, tasks and agent types.
    await t.api().get('/api/scheduler').set(as(MALLORY)).expect(200);
    await t.api().get('/api/scheduler/audit-cleanup').set(as(MALLORY)).expect(200);
    await t.api().get('/api/channels').set(as(MALLORY)).expect(200);
    await t.api().get('/api/agent-types').set(as(MALLORY)).expect(200);
  });

  it("registering an identity that names another org's member: 409, the membership stays, no 'Mallory' in that org", async () => {
    await deployment();
    const alice = (await t.api().post('/api/channels/web/messages').set(as(ALICE)).send({ userId: 'alice-web', text: 'hello' }).expect(201)).body;
    await t.api().post('/api/orgs/org-a/members').set(as(ALICE)).send({ identityId: alice.identityId, role: 'maintainer' }).expect(201);
    const orgA = (await t.api().get('/api/orgs/org-a').set(as(ALICE)).expect(200)).body;
    const chainA = (await t.api().get('/api/audit?limit=100').set(as(ALICE)).expect(200)).body;

    // Mallory cannot even see Alice's identity from org B...
    const seen = await t.api().get('/api/identity').query({ channelType: 'web', channelUserId: 'alice-web' }).set(as(MALLORY)).expect(200);
    expect(seen.body).toEqual({ found: false, identity: null });
    // ...and cannot take it over.
    const before = await everything();
    const res = await t
      .api()
      .post('/api/identity')
      .set(as(MALLORY))
      .send({ displayName: 'Mallory', role: 'maintainer', channels: [{ type: 'web', userId: 'alice-web' }] });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('IDENTITY_CONFLICT');
    expect(await everything()).toEqual(before);
    expect((await t.api().get('/api/orgs/org-a').set(as(ALICE)).expect(200)).body).toEqual(orgA);
    expect((await t.api().get('/api/audit?limit=100').set(as(ALICE)).expect(200)).body).toEqual(chainA);
    expect(JSON.stringify(orgA)).not.toContain('Mallory');
  });

  it('pausing a task from a page on another origin with a bodiless POST (open API, CORS_ORIGINS set): 403 ORIGIN_NOT_ALLOWED', async () => {
    t = await makeTestApp({ env: { CORS_ORIGINS: 'https://dashboard.example' } });
    const before = { db: await tableSnapshot(t), tasks: (await t.api().get('/api/scheduler').expect(200)).body };
    // What a hostile page's <form method="post"> or fetch(…, {method: 'POST', mode: 'no-cors'}) sends.
    const res = await t.api().post('/api/scheduler/audit-cleanup/pause').set('Origin', 'https://evil.example').set('Content-Length', '0');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'Cross-site request refused: this Origin is not allowed to change anything', code: 'ORIGIN_NOT_ALLOWED', status: 403 });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect({ db: await tableSnapshot(t), tasks: (await t.api().get('/api/scheduler').expect(200)).body }).toEqual(before);
  });

  it('enumerating orgs through /health: every x-org-id gets the same 200', async () => {
    await deployment();
    const known = await t.api().get('/health').set('x-org-id', 'org-a');
    const unknown = await t.api().get('/health').set('x-org-id', 'org-does-not-exist');
    const malformed = await t.api().get('/v1/health').set('x-org-id', 'NOT AN ID');
    for (const res of [known, unknown, malformed]) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual(known.body);
    }
  });
});
