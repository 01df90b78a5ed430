import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { currentCredential, withCredential } from '../../src/http/credential-context.js';

const ALPHA = 'tok-alpha-credential-1';
const OPS = 'tok-ops-credential-2';
const bearer = (token: string, actor?: string) => ({ Authorization: `Bearer ${token}`, ...(actor ? { 'x-actor-id': actor } : {}) });
/** Computed here, not with the server's helper: `tok_` + 12 hex of SHA-256(token). */
const fingerprint = (token: string) => `tok_${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12)}`;

interface Entry {
  orgId: string;
  actorId: string;
  action: string;
  metadata: Record<string, unknown>;
}

let t: TestApp;
afterEach(() => t.close());

async function everyEntry(headers: Record<string, string>): Promise<Entry[]> {
  const out: Entry[] = [];
  for (let page = 1; ; page++) {
    const res = await t.api().get(`/api/audit?order=asc&limit=100&page=${page}`).set(headers).expect(200);
    out.push(...(res.body.entries as Entry[]));
    if (!res.body.hasMore) return out;
  }
}

/** Writes through every domain that audits: orgs, projects, agents, channels, identity, members, scheduler. */
async function writeEverywhere(ops: Record<string, string>, alpha: Record<string, string>) {
  const api = () => t.api();
  await api().post('/api/orgs').set(ops).send({ name: 'Alpha' }).expect(201);
  const project = (await api().post('/api/projects').set(alpha).send({ repo: 'alpha/app' }).expect(201)).body;
  const agent = (await api().post('/api/agents').set(alpha).send({ name: 'helper', type: 'task' }).expect(201)).body;
  await api().post(`/api/agents/${project.agentId}/action`).set(alpha).send({ action: 'set_autonomy', params: { level: 3 } }).expect(200);
  await api().delete(`/api/agents/${agent.id}`).set(alpha).expect(200);
  const message = (await api().post('/api/channels/web/messages').set(alpha).send({ userId: 'w-1', text: 'hello there', projectId: project.id }).expect(201)).body;
  const identity = (await api().post('/api/identity').set(alpha).send({ displayName: 'Ann', role: 'owner', channels: [{ type: 'slack', userId: 'UANN' }] }).expect(201)).body;
  await api().post('/api/orgs/org-alpha/members').set(alpha).send({ identityId: identity.id, role: 'owner' }).expect(201);
  await api().delete(`/api/orgs/org-alpha/members/${identity.id}`).set(alpha).expect(200);
  await api().post('/api/orgs/org-alpha/members').set(alpha).send({ identityId: message.identityId, role: 'reviewer' }).expect(201);
  await api().post('/api/channels/configure').set(ops).send({ channel: 'telegram', config: { botToken: '1:abc' } }).expect(200);
  await api().post('/api/scheduler/audit-cleanup/pause').set(ops).expect(200);
  await api().post('/api/scheduler/audit-cleanup/resume').set(ops).expect(200);
  await api().post('/api/scheduler/audit-cleanup/run').set(ops).expect(200);
  await api().delete('/v1/api/scheduler/build-status-report').set(ops).expect(200);
  await api().delete(`/api/projects/${project.id}`).set(alpha).expect(200);
}

describe('metadata.credential on audit entries', () => {
  it('is on every entry a token-authenticated request writes, naming the token that wrote it, whatever x-actor-id claims', async () => {
    t = await makeTestApp({ env: { API_TOKENS: `${ALPHA}:org-alpha,${OPS}:*`, TELEGRAM_API_URL: 'http://127.0.0.1:9', CHANNEL_CONNECT_TIMEOUT_MS: '500' } });
    // The org token claims the operator's label: the label is recorded as given, the credential is not fooled.
    await writeEverywhere(bearer(OPS, 'ops:alice'), bearer(ALPHA, 'ops:alice'));
    const entries = await everyEntry(bearer(OPS));
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['org_create', 'project_create', 'agent_create', 'autonomy_change', 'agent_terminate', 'message', 'identity_register', 'member_add', 'member_remove', 'channel_configure', 'scheduler_pause', 'scheduler_resume', 'scheduler_run', 'scheduler_cancel', 'project_delete']) {
      expect(actions, a).toContain(a);
    }
    for (const e of entries) {
      const expected = e.orgId === 'org-alpha' && e.action !== 'org_create' ? fingerprint(ALPHA) : fingerprint(OPS);
      expect(e.metadata.credential, `${e.orgId} ${e.action}`).toBe(expected);
      expect(e.actorId).toBe('ops:alice');
    }
    expect(fingerprint(ALPHA)).toMatch(/^tok_[0-9a-f]{12}$/);
    // The entries are sealed with the credential in them: the chains still verify.
    const verify = await t.api().get('/api/audit/verify').set(bearer(OPS)).expect(200);
    expect(verify.body.valid).toBe(true);
  });

  it('never holds the token itself, nor more of its digest', async () => {
    t = await makeTestApp({ env: { API_TOKENS: `${ALPHA}:org-alpha,${OPS}:*` } });
    await t.api().post('/api/orgs').set(bearer(OPS)).send({ name: 'Alpha' }).expect(201);
    await t.api().post('/api/agents').set(bearer(ALPHA)).send({ name: 'helper', type: 'task' }).expect(201);
    const text = JSON.stringify(await everyEntry(bearer(OPS)));
    const fullDigest = createHash('sha256').update(ALPHA).digest('hex');
    expect(text).not.toContain(ALPHA);
    expect(text).not.toContain(fullDigest.slice(0, 13));
  });

  it('is absent on the open API, and on entries written outside any request', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Open' }).expect(201);
    await t.api().post('/api/scheduler/audit-cleanup/pause').set('Authorization', 'Bearer ignored-when-open').expect(200);
    (await t.services.audit.append({ orgId: 'default', actorType: 'system', actorId: 'scheduler', action: 'health_degraded', metadata: { reason: 'test' } }));
    const entries = [...(await everyEntry({ 'x-org-id': 'default' })), ...(await everyEntry({ 'x-org-id': 'org-open' }))];
    expect(entries.length).toBe(3);
    for (const e of entries) expect(e.metadata).not.toHaveProperty('credential');
  });
});

describe('credential context', () => {
  const response = () => ({ writableEnded: false }) as unknown as ServerResponse & { writableEnded: boolean };

  it('follows the request through awaits, and ends with its answer (a timer armed during it writes as nobody)', async () => {
    const res = response();
    const seen: Array<string | undefined> = [];
    let timerFired!: Promise<void>;
    withCredential('tok_0123456789ab', res, () => {
      seen.push(currentCredential());
      timerFired = new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(currentCredential());
          resolve();
        }, 1),
      ).then(() => undefined);
    });
    await Promise.resolve();
    (res as { writableEnded: boolean }).writableEnded = true;
    await timerFired;
    expect(seen).toEqual(['tok_0123456789ab', undefined]);
    expect(currentCredential()).toBeUndefined();
  });
});
