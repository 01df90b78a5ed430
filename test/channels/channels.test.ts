import { afterEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { startStub, type Stub } from '../helpers/stub-server.js';
import { slack, telegram, whatsapp } from './platform-stubs.js';

let apps: TestApp[] = [];
let stubs: Stub[] = [];
afterEach(async () => {
  for (const a of apps) a.close();
  for (const s of stubs) await s.close();
  apps = [];
  stubs = [];
});

const app = async (opts: Parameters<typeof makeTestApp>[0] = {}) => {
  const a = await makeTestApp(opts);
  apps.push(a);
  return a;
};
const stubFor = async (handler: Parameters<typeof startStub>[0]) => {
  const s = await startStub(handler);
  stubs.push(s);
  return s;
};
const channel = async (a: TestApp, name: string) =>
  ((await a.api().get('/api/channels').expect(200)).body.channels as Array<Record<string, unknown>>).find((c) => c.name === name)!;

const auditOf = async (a: TestApp, orgId: string, action: string) =>
  (await a.api().get('/api/audit').set(inOrg(orgId)).query({ action }).expect(200)).body.entries as Array<Record<string, unknown>>;

describe('GET /api/channels', () => {
  it('lists every channel in order with the exact capabilities; only web is on by default', async () => {
    const res = (await (await app()).api().get('/api/channels').expect(200));
    const off = { connected: false, status: 'disabled', lastError: null };
    expect(res.body).toEqual({
      channels: [
        {
          name: 'whatsapp', platform: 'whatsapp', ...off,
          capabilities: { threads: false, codeBlocks: false, syntaxHighlighting: false, fileAttachments: true, reactions: false, maxMessageLength: 4096, mentionFormat: 'text' },
        },
        {
          name: 'slack', platform: 'slack', ...off,
          capabilities: { threads: true, codeBlocks: true, syntaxHighlighting: true, fileAttachments: true, reactions: true, maxMessageLength: 40000, mentionFormat: 'user_id' },
        },
        {
          name: 'discord', platform: 'discord', ...off,
          capabilities: { threads: true, codeBlocks: true, syntaxHighlighting: true, fileAttachments: true, reactions: true, maxMessageLength: 2000, mentionFormat: 'user_id' },
        },
        {
          name: 'telegram', platform: 'telegram', ...off,
          capabilities: { threads: false, codeBlocks: false, syntaxHighlighting: false, fileAttachments: true, reactions: false, maxMessageLength: 4096, mentionFormat: 'username' },
        },
        {
          name: 'web', platform: 'web', connected: true, status: 'connected', lastError: null,
          capabilities: { threads: false, codeBlocks: true, syntaxHighlighting: true, fileAttachments: false, reactions: false, maxMessageLength: 100000, mentionFormat: 'none' },
        },
      ],
    });
  });

  it('shows a channel enabled without its settings as disconnected, naming the missing variable', async () => {
    const a = await app({ env: { ENABLE_TELEGRAM: 'true', ENABLE_SLACK: 'true', SLACK_BOT_TOKEN: 'xoxb-1', ENABLE_WHATSAPP: 'true', ENABLE_DISCORD: 'true' } });
    expect(await channel(a, 'telegram')).toMatchObject({ status: 'disconnected', connected: false, lastError: 'TELEGRAM_BOT_TOKEN is not set' });
    expect(await channel(a, 'slack')).toMatchObject({ status: 'disconnected', lastError: 'SLACK_APP_TOKEN is not set' });
    expect(await channel(a, 'whatsapp')).toMatchObject({ status: 'disconnected', lastError: 'EVOLUTION_API_URL is not set' });
    expect(await channel(a, 'discord')).toMatchObject({ status: 'disconnected', lastError: 'DISCORD_BOT_TOKEN is not set' });

    const res = await a.api().post('/api/channels/telegram/reconnect').expect(200);
    expect(res.body).toEqual({ success: true, channel: 'telegram', connected: false });
    expect(a.services.channels.healthSummary().status).toBe('degraded');
  });

  it('validates x-org-id but is otherwise instance-wide', async () => {
    const a = await app();
    await a.api().get('/api/channels').set('x-org-id', 'Bad Org').expect(400);
    await a.api().get('/api/channels').set('x-org-id', 'org-nope').expect(404);
    const res = await a.api().get('/api/channels').set('x-org-id', 'default').expect(200);
    expect(res.body.channels).toHaveLength(5);
  });
});

describe('POST /api/channels/:name/reconnect', () => {
  it('answers 404 CHANNEL_NOT_FOUND for an unknown channel', async () => {
    const res = (await (await app()).api().post('/api/channels/teams/reconnect').expect(404));
    expect(res.body).toEqual({
      error: "Channel 'teams' not found. Valid channels: whatsapp, slack, discord, telegram",
      code: 'CHANNEL_NOT_FOUND',
      status: 404,
    });
  });

  it('answers 400 CHANNEL_DISABLED for a channel that is not enabled', async () => {
    const res = (await (await app()).api().post('/api/channels/telegram/reconnect').expect(400));
    expect(res.body).toEqual({
      error: "Channel 'telegram' is not enabled. Set ENABLE_TELEGRAM=true to enable.",
      code: 'CHANNEL_DISABLED',
      status: 400,
    });
    const wa = (await (await app()).api().post('/v1/api/channels/whatsapp/reconnect').expect(400));
    expect(wa.body.error).toBe("Channel 'whatsapp' is not enabled. Set ENABLE_WHATSAPP=true to enable.");
  });

  it('reconnects web, which is always connected', async () => {
    const res = (await (await app()).api().post('/api/channels/web/reconnect').expect(200));
    expect(res.body).toEqual({ success: true, channel: 'web', connected: true });
  });
});

describe('POST /api/channels/configure', () => {
  const configure = (a: TestApp, body: unknown) => a.api().post('/api/channels/configure').send(body as object);

  it('answers 400 INVALID_CHANNEL for an unknown channel and for web', async () => {
    const a = await app();
    for (const ch of ['teams', 'web', 'Telegram']) {
      const res = await configure(a, { channel: ch, config: { botToken: 't' } }).expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_CHANNEL', status: 400, error: 'Invalid channel. Must be one of: whatsapp, slack, discord, telegram' });
    }
  });

  it('answers 400 VALIDATION_ERROR for a missing or empty field, and stores nothing', async () => {
    const a = await app();
    const bodies = [
      { channel: 'telegram', config: {} },
      { channel: 'telegram', config: { botToken: '' } },
      { channel: 'telegram', config: { botToken: '   ' } },
      { channel: 'telegram' },
      { config: { botToken: 't' } },
      { channel: '', config: { botToken: 't' } },
      { channel: 'slack', config: { botToken: 'xoxb-1' } },
      { channel: 'whatsapp', config: { evolutionApiUrl: 'http://127.0.0.1:1', evolutionApiKey: 'k' } },
      { channel: 'discord', config: { botToken: 't', extra: 'x' } },
    ];
    for (const body of bodies) {
      const res = await configure(a, body).expect(400);
      expect(res.body, JSON.stringify(body)).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
      expect(res.body.details.length).toBeGreaterThan(0);
    }
    expect(await channel(a, 'telegram')).toMatchObject({ status: 'disabled' });
    expect(await auditOf(a, 'default', 'channel_configure')).toEqual([]);
  });

  it('stores the settings, enables the channel, checks it, and audits channel_configure in default', async () => {
    const stub = await stubFor(telegram.handler('123:good'));
    const a = await app({ env: { TELEGRAM_API_URL: stub.url } });
    const res = await configure(a, { channel: 'telegram', config: { botToken: '123:good' } }).set('x-actor-id', 'slack:U1').expect(200);
    expect(res.body).toEqual({ success: true, channel: 'telegram', configured: true, connected: true });
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /bot123:good/getMe']);
    expect(await channel(a, 'telegram')).toMatchObject({ status: 'connected', connected: true, lastError: null });

    const entries = await auditOf(a, 'default', 'channel_configure');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorType: 'user', actorId: 'slack:U1', action: 'channel_configure', result: 'completed', risk: 'high', orgId: 'default', metadata: { channel: 'telegram' } });
  });

  it('answers connected false (still configured) when the check fails', async () => {
    const stub = await stubFor(whatsapp.handler('right-key'));
    const a = await app();
    const res = await configure(a, { channel: 'whatsapp', config: whatsapp.config(`${stub.url}/`, 'wrong-key') }).expect(200);
    expect(res.body).toEqual({ success: true, channel: 'whatsapp', configured: true, connected: false });
    expect(stub.requests[0]).toMatchObject({ path: '/instance/connectionState/codespar-main' });
    expect(await channel(a, 'whatsapp')).toMatchObject({ status: 'disconnected', lastError: 'Evolution API connectionState failed: HTTP 401' });
  });

  it('lets stored settings win over the environment', async () => {
    const stub = await stubFor(telegram.handler('stored:token'));
    const a = await app({ env: telegram.env(stub.url, 'env:token') });
    await a.services.channels.start();
    expect(await channel(a, 'telegram')).toMatchObject({ connected: false });

    await configure(a, { channel: 'telegram', config: { botToken: 'stored:token' } }).expect(200);
    await a.api().post('/api/channels/telegram/reconnect').expect(200);
    expect(stub.requests.map((r) => r.path)).toEqual(['/botenv:token/getMe', '/botstored:token/getMe', '/botstored:token/getMe']);
    expect(await channel(a, 'telegram')).toMatchObject({ connected: true });
  });

  it('keeps configured settings across a restart (a new server over the same database)', async () => {
    const stub = await stubFor(slack.handler('xoxb-stored'));
    const env = { SLACK_API_URL: stub.url };

    const first = await app({ env });
    await configure(first, { channel: 'slack', config: { botToken: 'xoxb-stored', appToken: 'xapp-stored' } }).expect(200);

    // Its services are built afresh from what the database holds; the engine closes with the first app.
    const second = await makeTestApp({ env, engine: first.deps.engine });
    expect(await channel(second, 'slack')).toMatchObject({ status: 'disconnected', lastError: null });
    await second.services.channels.start();
    expect(await channel(second, 'slack')).toMatchObject({ status: 'connected', connected: true });
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]!.headers.authorization).toBe('Bearer xoxb-stored');
    expect(await auditOf(second, 'default', 'channel_configure')).toHaveLength(1);
  });

  it('never lets a secret out: responses, audit entries and log lines', async () => {
    const BOT = 'xoxb-SUPER-SECRET-bot-777';
    const APP = 'xapp-SUPER-SECRET-app-888';
    // A careless platform that echoes the token back in its error.
    const stub = await stubFor((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: `invalid_auth for ${String(req.headers.authorization)}` }));
    });
    const a = await app({ env: { SLACK_API_URL: stub.url }, captureLogs: true });
    const bodies: string[] = [];
    const keep = (r: { text: string }) => bodies.push(r.text);

    keep(await configure(a, { channel: 'slack', config: { botToken: BOT, appToken: APP } }).expect(200));
    keep(await configure(a, { channel: 'slack', config: { botToken: `${BOT} x`, appToken: APP } }).expect(400));
    keep(await configure(a, { channel: 'slack', config: { botToken: BOT, appToken: APP, more: BOT } }).expect(400));
    keep(await a.api().post('/api/channels/slack/reconnect').expect(200));
    keep(await a.api().get('/api/channels').expect(200));
    keep(await a.api().get('/api/audit').query({ limit: 100 }).expect(200));

    expect(stub.requests[0]!.headers.authorization).toBe(`Bearer ${BOT}`);
    expect(JSON.parse(bodies[4]!).channels[1].lastError).toBe('Slack auth.test failed: invalid_auth for Bearer [redacted]');
    expect(JSON.parse(bodies[5]!).entries.length).toBeGreaterThan(0);
    expect(a.deps.logs.some((l) => l.includes('channel connection check'))).toBe(true);
    expect(a.deps.logs.some((l) => l.includes('/api/channels/configure'))).toBe(true);
    for (const secret of [BOT, APP, 'SUPER-SECRET']) {
      for (const b of bodies) expect(b).not.toContain(secret);
      for (const line of a.deps.logs) expect(line).not.toContain(secret);
    }
  });
});
