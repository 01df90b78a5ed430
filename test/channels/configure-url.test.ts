import type { LookupAddress } from 'node:dns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { column, execSql, tableSnapshot } from '../helpers/engine-db.js';
import { startStub, type Stub } from '../helpers/stub-server.js';
import { INSTANCE, whatsapp } from './platform-stubs.js';

/**
 * evolutionApiUrl, the one URL the API takes, end to end. Only loopback addresses are ever
 * dialled: a stub on 127.0.0.1, and 0.0.0.0 as the refused address (which Linux would
 * deliver to that stub, so a missing guard shows up as a request the stub records).
 */

const KEY = 'evo-key-1';
let stub: Stub;
let port: number;
let t: TestApp;
let answers: LookupAddress[][];
let queries: string[];

/** A DNS for `*.test` names that answers from `answers`, one per query (the last one repeats). */
const resolve = async (hostname: string): Promise<LookupAddress[]> => {
  queries.push(hostname);
  return answers[Math.min(queries.length - 1, answers.length - 1)] ?? [];
};
const at = (address: string): LookupAddress[] => [{ address, family: 4 }];

beforeEach(async () => {
  stub = await startStub(whatsapp.handler(KEY));
  port = Number(new URL(stub.url).port);
  answers = [];
  queries = [];
});
afterEach(async () => {
  t?.close();
  await stub.close();
});

const configure = (url: string) =>
  t.api().post('/api/channels/configure').send({ channel: 'whatsapp', config: { evolutionApiUrl: url, evolutionApiKey: KEY, evolutionInstance: INSTANCE } });
const whatsappView = async () =>
  ((await t.api().get('/api/channels').expect(200)).body.channels as Array<Record<string, unknown>>).find((c) => c.name === 'whatsapp')!;
const configureAudit = async () => (await t.api().get('/api/audit').set(inOrg('default')).query({ action: 'channel_configure' }).expect(200)).body.entries;

describe('POST /api/channels/configure with an evolutionApiUrl', () => {
  it('answers 400 INVALID_URL for a refused literal, scheme or credential, storing and sending nothing', async () => {
    t = await makeTestApp({ resolve });
    const before = await tableSnapshot(t);
    const cases: Array<[string, string]> = [
      [`http://0.0.0.0:${port}`, 'must not point at an unspecified address'],
      [`http://0:${port}/`, 'must not point at an unspecified address'],
      [`http://0x0.0:${port}/`, 'must not point at an unspecified address'],
      [`http://[::]:${port}/`, 'must not point at an unspecified address'],
      [`http://[::ffff:0.0.0.0]:${port}/`, 'must not point at an unspecified address'],
      [`ftp://127.0.0.1:${port}/`, 'must use http or https'],
      ['file:///etc/passwd', 'must use http or https'],
      [`http://admin:hunter2@127.0.0.1:${port}/`, 'must not carry a user name or password'],
      ['not a url', 'must be an absolute http(s) URL'],
    ];
    for (const [url, reason] of cases) {
      const res = await configure(url).expect(400);
      expect(res.body, url).toMatchObject({ code: 'INVALID_URL', status: 400, error: `Invalid body.config.evolutionApiUrl: ${reason}` });
    }
    expect(await tableSnapshot(t)).toEqual(before);
    expect(await whatsappView()).toMatchObject({ status: 'disabled' });
    expect(stub.requests).toHaveLength(0);
    expect(queries).toEqual([]);
  });

  it('keeps VALIDATION_ERROR for a missing or empty URL', async () => {
    t = await makeTestApp({ resolve });
    for (const url of ['', '   ']) expect((await configure(url).expect(400)).body.code).toBe('VALIDATION_ERROR');
  });

  it('answers 400 INVALID_URL for a name that resolves to a refused address, storing and sending nothing', async () => {
    t = await makeTestApp({ resolve });
    answers = [at('0.0.0.0')];
    const res = await configure(`http://evolution.test:${port}`).expect(400);
    expect(res.body).toEqual({ error: 'Invalid body.config.evolutionApiUrl: must not resolve to an unspecified address', code: 'INVALID_URL', status: 400 });
    expect(await configureAudit()).toEqual([]);
    expect(stub.requests).toHaveLength(0);
  });

  it('stores the URL as fetch will dial it (WHATWG form) and connects through the checked address', async () => {
    t = await makeTestApp({ resolve });
    const res = await configure(`http://0x7f.1:${port}/`).expect(200);
    expect(res.body).toEqual({ success: true, channel: 'whatsapp', configured: true, connected: true });
    const [settings] = await column<string>(t, "SELECT settings FROM channel_settings WHERE name = 'whatsapp'");
    const stored = JSON.parse(settings!);
    expect(stored.evolutionApiUrl).toBe(`http://127.0.0.1:${port}`);
    expect(stub.requests.map((r) => r.path)).toEqual([`/instance/connectionState/${INSTANCE}`]);
  });

  it('never reaches a name that rebinds to 0.0.0.0 after the check, and lastError tells nothing about the target', async () => {
    t = await makeTestApp({ resolve });
    // Configure-time check, then the first connection: 127.0.0.1. From then on: 0.0.0.0.
    answers = [at('127.0.0.1'), at('127.0.0.1'), at('0.0.0.0')];
    expect((await configure(`http://rebind.test:${port}`).expect(200)).body.connected).toBe(true);
    expect(stub.requests).toHaveLength(1);

    const again = await t.api().post('/api/channels/whatsapp/reconnect').expect(200);
    expect(again.body).toEqual({ success: true, channel: 'whatsapp', connected: false });
    const open = (await whatsappView()).lastError;
    expect(open).toBe('Evolution API address is not allowed');

    // A port where nothing listens reads the same: the refused target is never dialled, so
    // the error cannot tell an open port from a closed one.
    const closed = await startStub(() => undefined);
    const closedPort = Number(new URL(closed.url).port);
    await closed.close();
    answers = [at('127.0.0.1'), at('0.0.0.0')];
    queries = [];
    await configure(`http://rebind.test:${closedPort}`).expect(200);
    expect((await whatsappView()).lastError).toBe(open);

    // The scheduled health check retries disconnected channels: still nothing is sent.
    await t.api().post('/api/scheduler/health-check/run').expect(200);
    expect((await whatsappView()).lastError).toBe(open);
    expect(stub.requests).toHaveLength(1);
  });

  it('refuses a refused URL stored before the guard existed, at start-up and on every health check, without dialling it', async () => {
    t = await makeTestApp({ resolve });
    const settings = { evolutionApiUrl: `http://0.0.0.0:${port}`, evolutionApiKey: KEY, evolutionInstance: INSTANCE };
    await execSql(t, "INSERT INTO channel_settings (name, settings, configured_at) VALUES ('whatsapp', ?, '2026-01-01T00:00:00.000Z')", JSON.stringify(settings));
    // A fresh app over the same database reads the stored settings, as a restart would.
    const restarted = await makeTestApp({ engine: t.deps.engine, resolve });
    await restarted.services.channels.start();
    await restarted.api().post('/api/scheduler/health-check/run').expect(200);
    await restarted.api().post('/api/scheduler/health-check/run').expect(200);
    const view = ((await restarted.api().get('/api/channels').expect(200)).body.channels as Array<Record<string, unknown>>).find((c) => c.name === 'whatsapp');
    expect(view).toMatchObject({ status: 'disconnected', lastError: 'Evolution API address is not allowed' });
    expect(stub.requests).toHaveLength(0);
  });

  it('bounds a guarded check by CHANNEL_CONNECT_TIMEOUT_MS like any other', async () => {
    t = await makeTestApp({ resolve, env: { CHANNEL_CONNECT_TIMEOUT_MS: '150' } });
    stub.handle(() => new Promise<void>(() => {}));
    answers = [at('127.0.0.1')];
    expect((await configure(`http://slow.test:${port}`).expect(200)).body.connected).toBe(false);
    expect((await whatsappView()).lastError).toBe('Evolution API did not answer within 150 ms');
  });

  it('trusts an EVOLUTION_API_URL from the environment as given', async () => {
    t = await makeTestApp({ resolve, env: whatsapp.env(`http://0.0.0.0:${port}`, KEY) });
    await t.services.channels.start();
    expect(await whatsappView()).toMatchObject({ connected: true, lastError: null });
    expect(stub.requests).toHaveLength(1);
  });
});
