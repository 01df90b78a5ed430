import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { createOrg } from '../channels/fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const lookup = (query: Record<string, string>) => t.api().get('/api/identity').query(query);
const register = (body: object, headers: Record<string, string> = {}) => t.api().post('/api/identity').set(headers).send(body);
const webMessage = (userId: string, orgId = 'default') =>
  t.api().post('/api/channels/web/messages').set(inOrg(orgId)).send({ userId, text: 'hello there' }).expect(201);

const alice = {
  displayName: 'Alice Doe',
  role: 'maintainer',
  channels: [
    { type: 'slack', userId: 'U123', username: 'alice' },
    { type: 'telegram', userId: '555' },
  ],
};

describe('GET /api/identity', () => {
  it('answers found: false for an unknown channel user', async () => {
    expect((await lookup({ channelType: 'slack', channelUserId: 'U404' }).expect(200)).body).toEqual({ found: false, identity: null });
  });

  it('answers 400 MISSING_PARAMETER when a parameter is missing or empty', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'Missing required parameter: channelType'],
      [{ channelUserId: 'U1' }, 'Missing required parameter: channelType'],
      [{ channelType: 'slack' }, 'Missing required parameter: channelUserId'],
      [{ channelType: 'bogus' }, 'Missing required parameter: channelUserId'],
      [{ channelType: 'slack', channelUserId: '' }, 'Missing required parameter: channelUserId'],
    ];
    for (const [query, error] of cases) {
      const res = await lookup(query).expect(400);
      expect(res.body, JSON.stringify(query)).toEqual({ error, code: 'MISSING_PARAMETER', status: 400, details: expect.any(Array) });
    }
  });

  it('answers 400 INVALID_CHANNEL for an unknown channelType; web is valid', async () => {
    const res = await lookup({ channelType: 'teams', channelUserId: 'U1' }).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_CHANNEL', status: 400, error: 'Invalid channelType. Must be one of: whatsapp, slack, discord, telegram, web' });
    await lookup({ channelType: 'web', channelUserId: 'U1' }).expect(200);
  });
});

describe('POST /api/identity', () => {
  it('registers an identity (201) that every one of its channels finds', async () => {
    const res = await register(alice).expect(201);
    const identity = {
      id: expect.stringMatching(/^ident-[0-9a-z]{10}$/),
      displayName: 'Alice Doe',
      role: 'maintainer',
      channels: [
        { type: 'slack', userId: 'U123', username: 'alice', linkedAt: '2026-06-01T12:00:00.000Z' },
        { type: 'telegram', userId: '555', username: null, linkedAt: '2026-06-01T12:00:00.000Z' },
      ],
      registeredAt: '2026-06-01T12:00:00.000Z',
      lastSeen: null,
    };
    expect(res.body).toEqual(identity);
    expect((await lookup({ channelType: 'slack', channelUserId: 'U123' }).expect(200)).body).toEqual({ found: true, identity: res.body });
    expect((await lookup({ channelType: 'telegram', channelUserId: '555' }).expect(200)).body.identity.id).toBe(res.body.id);
  });

  it('audits identity_register in the default org', async () => {
    const res = await register(alice, { 'x-actor-id': 'ops:bob' }).expect(201);
    const entries = (await t.api().get('/api/audit').set(inOrg('default')).query({ action: 'identity_register' }).expect(200)).body.entries;
    expect(entries).toEqual([expect.objectContaining({ actorId: 'ops:bob', risk: 'low', metadata: { identityId: res.body.id, role: 'maintainer', merged: [] } })]);
  });

  it('answers 409 IDENTITY_CONFLICT when a channel already belongs to a registered identity', async () => {
    await register(alice).expect(201);
    const res = await register({ displayName: 'Mallory', role: 'owner', channels: [{ type: 'discord', userId: 'D1' }, { type: 'slack', userId: 'U123' }] }).expect(409);
    expect(res.body).toEqual({ error: "Channel identity 'slack:U123' already belongs to a registered identity", code: 'IDENTITY_CONFLICT', status: 409 });
    // Nothing of the refused registration was kept.
    expect((await lookup({ channelType: 'discord', channelUserId: 'D1' }).expect(200)).body.found).toBe(false);
  });

  it('merges an auto-created identity (from a web message) into the new one', async () => {
    const org = await createOrg(t.api, 'Acme');
    const auto = (await webMessage('w-1', org)).body.identityId as string;
    await t.api().post(`/api/orgs/${org}/members`).send({ identityId: auto, role: 'reviewer' }).expect(201);
    t.deps.clock.advance(60_000);

    const res = await register({ displayName: 'Walter', role: 'operator', channels: [{ type: 'web', userId: 'w-1', username: 'walt' }, { type: 'slack', userId: 'U9' }] }).expect(201);
    expect(res.body.id).not.toBe(auto);
    expect(res.body).toMatchObject({
      displayName: 'Walter',
      role: 'operator',
      registeredAt: '2026-06-01T12:01:00.000Z',
      lastSeen: '2026-06-01T12:00:00.000Z',
    });
    expect(res.body.channels).toEqual(
      expect.arrayContaining([
        { type: 'web', userId: 'w-1', username: 'walt', linkedAt: '2026-06-01T12:01:00.000Z' },
        { type: 'slack', userId: 'U9', username: null, linkedAt: '2026-06-01T12:01:00.000Z' },
      ]),
    );
    expect((await lookup({ channelType: 'web', channelUserId: 'w-1' }).expect(200)).body.identity.id).toBe(res.body.id);
    // The membership came along; the auto-created identity is gone.
    const members = (await t.api().get(`/api/orgs/${org}`).expect(200)).body.members;
    expect(members).toEqual([{ identityId: res.body.id, displayName: 'Walter', role: 'reviewer', joinedAt: '2026-06-01T12:00:00.000Z' }]);
    const again = await t.api().post(`/api/orgs/${org}/members`).send({ identityId: auto, role: 'reviewer' }).expect(404);
    expect(again.body.code).toBe('IDENTITY_NOT_FOUND');
    // A new message from the same web user now lands on the registered identity.
    expect((await webMessage('w-1', org)).body.identityId).toBe(res.body.id);
    const entries = (await t.api().get('/api/audit').set(inOrg('default')).query({ action: 'identity_register' }).expect(200)).body.entries;
    expect(entries[0].metadata).toEqual({ identityId: res.body.id, role: 'operator', merged: [auto] });
  });

  it('answers 400 VALIDATION_ERROR for a role outside the list and other bad bodies', async () => {
    const bodies = [
      { ...alice, role: 'admin' },
      { ...alice, displayName: '' },
      { role: 'owner', channels: alice.channels },
      { ...alice, channels: [] },
      { ...alice, channels: [{ type: 'slack' }] },
      { ...alice, channels: [{ type: 'slack', userId: 'U1' }, { type: 'slack', userId: 'U1' }] },
    ];
    for (const body of bodies) {
      const res = await register(body).expect(400);
      expect(res.body.code, JSON.stringify(body)).toBe('VALIDATION_ERROR');
    }
  });

  it('answers 400 INVALID_CHANNEL for an unknown channel type', async () => {
    const res = await register({ ...alice, channels: [{ type: 'teams', userId: 'T1' }] }).expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_CHANNEL', error: "Invalid channel type 'teams'. Must be one of: whatsapp, slack, discord, telegram, web" });
  });
});
