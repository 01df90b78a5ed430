import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';
import { ManualClock } from '../../src/clock.js';
import { createAuditService } from '../../src/audit/audit.service.js';
import { createIdentityService } from '../../src/identity/identity.service.js';
import { createMemoryService } from '../../src/memory/memory.service.js';
import { sqliteEngineOver } from '../../src/db/sqlite/engine.js';
import { createHashingEmbedder } from '../../src/memory/embedder.js';
import { createWebMessagesService } from '../../src/channels/web-messages.service.js';
import { createOrg, seedProject } from './fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const post = (body: object, headers: Record<string, string> = {}) => t.api().post('/api/channels/web/messages').set(headers).send(body);
const lookup = async (userId: string) =>
  (await t.api().get('/api/identity').query({ channelType: 'web', channelUserId: userId }).expect(200)).body;

describe('POST /api/channels/web/messages', () => {
  it('answers 201 and auto-creates a read-only identity without a display name', async () => {
    const res = await post({ userId: 'u-1', username: 'alice', text: 'How is the build going?' }).expect(201);
    expect(res.body).toEqual({ messageId: expect.stringMatching(/^msg-[0-9a-z]{12}$/), identityId: expect.stringMatching(/^ident-/), receivedAt: '2026-06-01T12:00:00.000Z' });

    expect(await lookup('u-1')).toEqual({
      found: true,
      identity: {
        id: res.body.identityId,
        displayName: null,
        role: 'read-only',
        channels: [{ type: 'web', userId: 'u-1', username: 'alice', linkedAt: '2026-06-01T12:00:00.000Z' }],
        registeredAt: null,
        lastSeen: '2026-06-01T12:00:00.000Z',
      },
    });
  });

  it('resolves the same sender to the same identity and moves lastSeen', async () => {
    const first = await post({ userId: 'u-1', text: 'hello' }).expect(201);
    t.deps.clock.advance(60_000);
    const second = await post({ userId: 'u-1', username: 'alice2', text: 'again' }).expect(201);
    expect(second.body.identityId).toBe(first.body.identityId);
    expect(second.body.messageId).not.toBe(first.body.messageId);
    const { identity } = await lookup('u-1');
    expect(identity).toMatchObject({ lastSeen: '2026-06-01T12:01:00.000Z', channels: [{ username: 'alice2' }] });
  });

  it('stores the message in the scoped org, embeds it, and audits `message` (low risk)', async () => {
    const org = await createOrg(t.api, 'Acme');
    await seedProject(t, { id: 'proj-abc', orgId: org, repo: 'acme/api' });
    const res = await post({ userId: 'u-9', text: 'deploy the api please', projectId: 'proj-abc' }, inOrg(org, 'web:u-9')).expect(201);

    const memory = (await t.api().get('/api/memory').set(inOrg(org)).expect(200)).body;
    expect(memory.conversations).toMatchObject({ totalMessages: 1, uniqueUsers: 1, channels: { web: 1 } });
    expect(memory.vectorStore.totalEmbeddings).toBe(1);
    const found = (await t.api().get('/api/memory/search').set(inOrg(org)).query({ q: 'deploy api' }).expect(200)).body.results;
    expect(found).toMatchObject([{ text: 'deploy the api please', source: 'web-message', projectId: 'proj-abc' }]);

    const entries = (await t.api().get('/api/audit').set(inOrg(org)).query({ action: 'message' }).expect(200)).body.entries;
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'message',
        actorType: 'user',
        actorId: 'web:u-9',
        risk: 'low',
        result: 'completed',
        orgId: org,
        projectId: 'proj-abc',
        metadata: { channel: 'web', messageId: res.body.messageId, identityId: res.body.identityId },
      }),
    ]);
  });

  it('writes to the default org without x-org-id', async () => {
    await post({ userId: 'u-1', text: 'hi' }).expect(201);
    const memory = (await t.api().get('/api/memory').set(inOrg('default')).expect(200)).body;
    expect(memory.conversations.totalMessages).toBe(1);
  });

  it('answers 404 PROJECT_NOT_FOUND for a project unknown to the org, and stores nothing', async () => {
    const org = await createOrg(t.api, 'Acme');
    await seedProject(t, { id: 'proj-other', orgId: 'default', repo: 'x/y' });
    for (const projectId of ['proj-nope', 'proj-other']) {
      const res = await post({ userId: 'u-1', text: 'hi', projectId }, inOrg(org)).expect(404);
      expect(res.body).toEqual({ error: 'Project not found', code: 'PROJECT_NOT_FOUND', status: 404 });
    }
    const memory = (await t.api().get('/api/memory').expect(200)).body;
    expect(memory.conversations.totalMessages).toBe(0);
    expect(memory.vectorStore.totalEmbeddings).toBe(0);
    expect((await lookup('u-1')).found).toBe(false);
  });

  it('answers 400 VALIDATION_ERROR for a bad body', async () => {
    for (const body of [{}, { userId: 'u' }, { text: 'x' }, { userId: 'u', text: '   ' }, { userId: '', text: 'x' }, { userId: 'u', text: 'x', extra: 1 }]) {
      const res = await post(body).expect(400);
      expect(res.body.code, JSON.stringify(body)).toBe('VALIDATION_ERROR');
    }
  });
});

describe('web messages and the agents port', () => {
  it('counts a message with a project on that project through recordMessage', async () => {
    const db = openTestDb();
    const engine = sqliteEngineOver(db);
    const { uow } = engine;
    const clock = new ManualClock();
    const audit = createAuditService({ uow, snapshot: engine.auditSnapshot, clock, orgIds: async () => ['default'] });
    const identity = createIdentityService({ uow, audit, clock });
    const memory = createMemoryService({
      uow, vectors: engine.vectors, backend: 'sqlite', clock, embedder: createHashingEmbedder(), channelNames: ['web'], retentionDays: 30, projectRepo: async () => null,
    });
    const counted: Array<[string, string]> = [];
    const web = createWebMessagesService({
      uow, audit, clock,
      resolveChannelUser: (u) => identity.resolveChannelUser(u),
      recordConversation: (c) => memory.recordConversation(c),
      addDocument: (d) => memory.addDocument(d),
      projectExists: async (orgId, projectId) => orgId === 'default' && projectId === 'proj-1',
      recordMessage: async (orgId, projectId) => void counted.push([orgId, projectId]),
    });

    await web.receive({ orgId: null }, 'api', { userId: 'u', text: 'with project', projectId: 'proj-1' });
    await web.receive({ orgId: null }, 'api', { userId: 'u', text: 'without project' });
    expect(counted).toEqual([['default', 'proj-1']]);
    db.close();
  });
});
