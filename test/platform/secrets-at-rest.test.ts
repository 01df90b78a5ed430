import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { makeTestEngine, type TestDepsOptions } from '../helpers/deps.js';
import { column, everyRowText, execSql } from '../helpers/engine-db.js';
import { startStub, type Stub } from '../helpers/stub-server.js';
import { telegram } from '../channels/platform-stubs.js';
import { deliver } from '../webhooks/fixtures.js';
import { loadConfig } from '../../src/config.js';
import type { Engine } from '../../src/db/engine.js';

const KEY_A = 'a'.repeat(16) + '-secrets-key-one';
const KEY_B = 'b'.repeat(16) + '-secrets-key-two';
const BOT_TOKEN = '123456:telegram-bot-token-very-secret';

let engine: Engine | undefined;
let stub: Stub | undefined;
afterEach(async () => {
  await engine?.close();
  await stub?.close();
  stub = undefined;
  engine = undefined;
});

/**
 * An app over the test's one database: a second call is the server started again over what
 * the first one stored (its services are built afresh; the start-up pass is run by the test).
 */
async function dbApp(env: Record<string, string>, opts: TestDepsOptions = {}): Promise<TestApp> {
  stub ??= await startStub(telegram.handler(BOT_TOKEN));
  engine ??= await makeTestEngine({ DATABASE_PATH: ':memory:' });
  return makeTestApp({ ...opts, engine, env: { TELEGRAM_API_URL: stub.url, ...env } });
}

/** The first column of the first row. */
const first = async (t: TestApp, sql: string): Promise<string | null> => (await column<string | null>(t, sql))[0]!;

async function store(t: TestApp) {
  await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
  const first = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201)).body.secret as string;
  const second = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').set('Idempotency-Key', 'k1').expect(201)).body.secret as string;
  await t.api().post('/api/channels/configure').send({ channel: 'telegram', config: { botToken: BOT_TOKEN } }).expect(200);
  return { first, second };
}

const telegramView = async (t: TestApp) =>
  ((await t.api().get('/api/channels').expect(200)).body.channels as Array<Record<string, unknown>>).find((c) => c.name === 'telegram')!;

const signedPing = (t: TestApp, secret: string, n: number) => deliver(t, 'ping', { zen: `z${n}` }, { secret, path: '/webhooks/github/org-acme' });

describe('secrets at rest with SECRETS_KEY', () => {
  it('stores webhook secrets, channel settings and the kept rotation answer sealed: no plain text anywhere in the database', async () => {
    const t = await dbApp({ SECRETS_KEY: KEY_A });
    const { first: older, second } = await store(t);
    const text = await everyRowText(t);
    for (const secret of [older, second, BOT_TOKEN]) expect(text).not.toContain(secret);
    expect(await first(t, 'SELECT secret FROM org_webhook_secrets')).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
    expect(await first(t, 'SELECT previous_secret FROM org_webhook_secrets')).toMatch(/^enc:v1:/);
    expect(await first(t, 'SELECT settings FROM channel_settings')).toMatch(/^enc:v1:/);
    // ...and they still work: signatures verify, the channel connects, the keyed answer replays.
    await signedPing(t, second, 1).expect(200);
    await signedPing(t, older, 2).expect(200);
    expect(await telegramView(t)).toMatchObject({ connected: true });
    const replay = await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').set('Idempotency-Key', 'k1').expect(201);
    expect(replay.body.secret).toBe(second);
  });

  it('seals each value with a fresh nonce: the same secret never looks the same twice', async () => {
    const t = await dbApp({ SECRETS_KEY: KEY_A });
    await t.api().post('/api/channels/configure').send({ channel: 'telegram', config: { botToken: BOT_TOKEN } }).expect(200);
    const a = await first(t, 'SELECT settings FROM channel_settings');
    await t.api().post('/api/channels/configure').send({ channel: 'telegram', config: { botToken: BOT_TOKEN } }).expect(200);
    expect(await first(t, 'SELECT settings FROM channel_settings')).not.toBe(a);
  });

  it('does not open a sealed secret moved onto another org', async () => {
    const t = await dbApp({ SECRETS_KEY: KEY_A });
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
    const acme = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201)).body.secret as string;
    await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-globex').expect(201);
    await execSql(t, "UPDATE org_webhook_secrets SET secret = (SELECT secret FROM org_webhook_secrets WHERE org_id = 'org-acme') WHERE org_id = 'org-globex'");
    await deliver(t, 'ping', { zen: 'moved' }, { secret: acme, path: '/webhooks/github/org-globex' }).expect(401);
    expect((await t.services.secretsAtRest.reseal()).unreadable).toEqual(['webhook secret of org-globex']);
  });
});

describe('secrets at rest without SECRETS_KEY, then with it', () => {
  it('stores plain text without a key; with a key the plain values keep working and the start-up pass seals them', async () => {
    const plain = await dbApp({});
    const { second } = await store(plain);
    expect(await first(plain, 'SELECT secret FROM org_webhook_secrets')).toBe(second);
    expect(await first(plain, 'SELECT settings FROM channel_settings')).toContain(BOT_TOKEN);

    const keyed = await dbApp({ SECRETS_KEY: KEY_A });
    await signedPing(keyed, second, 1).expect(200);
    expect((await keyed.services.secretsAtRest.reseal())).toEqual({ sealed: 2, unreadable: [] });
    expect(await everyRowText(keyed)).not.toContain(BOT_TOKEN);
    expect(await first(keyed, 'SELECT secret FROM org_webhook_secrets')).toMatch(/^enc:v1:/);
    await signedPing(keyed, second, 2).expect(200);
    await keyed.services.channels.start();
    expect(await telegramView(keyed)).toMatchObject({ connected: true });
    expect((await keyed.services.secretsAtRest.reseal())).toEqual({ sealed: 0, unreadable: [] });
  });
});

describe('secrets sealed with another key, or with no key', () => {
  it.each([
    ['another key', { SECRETS_KEY: KEY_B }],
    ['no key', {}],
  ])('with %s: reported by the start-up pass, refused at the org URL, the channel down with a clear error', async (_label, env: Record<string, string>) => {
    const sealed = await dbApp({ SECRETS_KEY: KEY_A });
    const { second } = await store(sealed);

    const t = await dbApp(env);
    expect((await t.services.secretsAtRest.reseal())).toEqual({ sealed: 0, unreadable: ['channel settings of telegram', 'webhook secret of org-acme'] });
    expect((await signedPing(t, second, 1).expect(401)).body.code).toBe('INVALID_SIGNATURE');
    expect(await telegramView(t)).toMatchObject({ connected: false, status: 'disconnected', lastError: 'Stored settings cannot be decrypted with SECRETS_KEY' });
    expect((await t.api().get('/api/webhooks').set('x-org-id', 'org-acme').expect(200)).body.secretConfigured).toBe(true);
    // A rotation recovers the org URL under the current key (the unreadable secret is dropped).
    const fresh = (await t.api().post('/api/webhooks/secret').set('x-org-id', 'org-acme').expect(201)).body.secret as string;
    await signedPing(t, fresh, 2).expect(200);
    await signedPing(t, second, 3).expect(401);
  });
});

describe('secrets never leave the server', () => {
  it('keeps webhook secrets and channel tokens out of every log line, audit entry and other answer', async () => {
    const t = await dbApp({ SECRETS_KEY: KEY_A }, { captureLogs: true });
    const { first: older, second } = await store(t);
    await signedPing(t, second, 1).expect(200);
    await deliver(t, 'ping', { zen: 'bad' }, { secret: 'wrong', path: '/webhooks/github/org-acme' }).expect(401);
    const answers = await Promise.all(
      ['/api/webhooks', '/api/audit?limit=100', '/api/channels', '/api/orgs/org-acme', '/health'].map((p) => t.api().get(p).set('x-org-id', 'org-acme')),
    );
    const seen = [t.deps.logs.join('\n'), ...answers.map((a) => a.text), JSON.stringify((await t.api().get('/api/audit?limit=100').expect(200)).body)].join('\n');
    expect(t.deps.logs.length).toBeGreaterThan(5);
    for (const secret of [older, second, BOT_TOKEN]) expect(seen).not.toContain(secret);
  });
});

describe('SECRETS_KEY and WEBHOOK_INFLIGHT_MB configuration', () => {
  it('refuses a SECRETS_KEY shorter than 32 characters, without echoing it', () => {
    expect(() => loadConfig({ SECRETS_KEY: 'x'.repeat(31) })).toThrow(/^Invalid configuration: SECRETS_KEY must be at least 32 characters$/);
    expect(loadConfig({ SECRETS_KEY: 'x'.repeat(32) }).SECRETS_KEY).toBe('x'.repeat(32));
    expect(loadConfig({ SECRETS_KEY: '' }).SECRETS_KEY).toBeUndefined();
  });

  it('takes WEBHOOK_INFLIGHT_MB as a whole number of MiB, 64 by default', () => {
    expect(loadConfig({}).WEBHOOK_INFLIGHT_MB).toBe(64);
    expect(loadConfig({ WEBHOOK_INFLIGHT_MB: '8' }).WEBHOOK_INFLIGHT_MB).toBe(8);
    for (const bad of ['0', '-1', '1.5', 'lots']) expect(() => loadConfig({ WEBHOOK_INFLIGHT_MB: bad })).toThrow(/^Invalid configuration: WEBHOOK_INFLIGHT_MB /);
  });
});
