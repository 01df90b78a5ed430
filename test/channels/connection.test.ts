import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import type { RecordedRequest, Stub } from '../helpers/stub-server.js';
import { PLATFORMS, failWith, hang, startPlatformStub, waitFor, type Platform } from './platform-stubs.js';

const GOOD = 'good-token-123:ABC';
const BAD = 'bad-token-999:XYZ';

let t: TestApp | undefined;
let stub: Stub | undefined;
afterEach(async () => {
  t?.close();
  await stub?.close();
  t = undefined;
  stub = undefined;
});

const channelOf = async (app: TestApp, name: string) => {
  const res = await app.api().get('/api/channels').expect(200);
  return (res.body.channels as Array<{ name: string }>).find((c) => c.name === name) as Record<string, unknown>;
};

/** The request a check sent, in the parts the platform cares about. */
function sent(p: Platform, req: RecordedRequest | undefined) {
  const header = p.expected('').header;
  return { method: req?.method, path: req?.path, ...(header ? { header: [header[0], req?.headers[header[0]]] } : {}) };
}

describe.each(PLATFORMS)('$name connection check', (p) => {
  const appFor = async (token: string, extra: Record<string, string> = {}) =>
    await makeTestApp({ env: { ...p.env(stub!.url, token), ...extra } });

  it('is connected with a good token, after exactly the documented request', async () => {
    stub = await startPlatformStub(p, GOOD);
    t = await appFor(GOOD);
    await t.services.channels.start();

    expect(await channelOf(t, p.name)).toMatchObject({ name: p.name, platform: p.name, connected: true, status: 'connected', lastError: null });
    expect(stub.requests).toHaveLength(1);
    expect(sent(p, stub.requests[0])).toEqual(p.expected(GOOD));
  });

  it('is not connected with a bad token, and lastError says why without the token', async () => {
    stub = await startPlatformStub(p, GOOD);
    t = await appFor(BAD);
    await t.services.channels.start();

    const ch = await channelOf(t, p.name);
    expect(ch).toMatchObject({ connected: false, status: 'disconnected', lastError: p.badTokenError });
    expect(JSON.stringify(ch)).not.toContain(BAD);
    expect(sent(p, stub.requests[0])).toEqual(p.expected(BAD));
  });

  it('answers reconnect in time with connected false when the platform hangs past the timeout', async () => {
    stub = await startPlatformStub(p, GOOD);
    stub.handle(hang);
    t = await appFor(GOOD, { CHANNEL_CONNECT_TIMEOUT_MS: '150' });

    const res = await t.api().post(`/api/channels/${p.name}/reconnect`).timeout({ response: 5000 }).expect(200);
    expect(res.body).toEqual({ success: true, channel: p.name, connected: false });
    expect(await channelOf(t, p.name)).toMatchObject({ connected: false, status: 'disconnected' });
    expect((await channelOf(t, p.name)).lastError).toMatch(/did not answer within 150 ms$/);
  });

  it('reconnects once the platform recovers', async () => {
    stub = await startPlatformStub(p, GOOD);
    stub.handle(failWith(503));
    t = await appFor(GOOD);
    await t.services.channels.start();
    expect(await channelOf(t, p.name)).toMatchObject({ connected: false, status: 'disconnected' });

    stub.handle(p.handler(GOOD));
    const res = await t.api().post(`/api/channels/${p.name}/reconnect`).expect(200);
    expect(res.body).toEqual({ success: true, channel: p.name, connected: true });
    expect(await channelOf(t, p.name)).toMatchObject({ connected: true, status: 'connected', lastError: null });
    expect(stub.requests).toHaveLength(2);
    expect(sent(p, stub.requests[1])).toEqual(p.expected(GOOD));
  });
});

describe('channel start-up', () => {
  it('reads connecting while the first check runs, then the outcome', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    stub = await startPlatformStub(PLATFORMS[0]!, GOOD);
    const good = PLATFORMS[0]!.handler(GOOD);
    stub.handle(async (req, res) => {
      await gate;
      await good(req, res);
    });
    t = await makeTestApp({ env: PLATFORMS[0]!.env(stub.url, GOOD) });

    const started = t.services.channels.start();
    await waitFor(() => stub!.requests.length === 1, 'the check to reach the stub');
    expect(await channelOf(t, 'telegram')).toMatchObject({ status: 'connecting', connected: false });

    release();
    await started;
    expect(await channelOf(t, 'telegram')).toMatchObject({ status: 'connected', connected: true });
  });

  it('reports an unreachable platform as disconnected', async () => {
    stub = await startPlatformStub(PLATFORMS[0]!, GOOD);
    const url = stub.url;
    await stub.close();
    stub = undefined;
    t = await makeTestApp({ env: PLATFORMS[0]!.env(url, GOOD) });
    await t.services.channels.start();
    expect((await channelOf(t, 'telegram')).lastError).toMatch(/^Telegram API is unreachable/);
  });

  it('re-checks only enabled channels that are down (the health-check task)', async () => {
    stub = await startPlatformStub(PLATFORMS[0]!, GOOD);
    stub.handle(failWith(502));
    t = await makeTestApp({ env: PLATFORMS[0]!.env(stub.url, GOOD) });
    await t.services.channels.start();
    expect(t.services.channels.healthSummary()).toEqual({
      status: 'degraded',
      channels: { whatsapp: 'disabled', slack: 'disabled', discord: 'disabled', telegram: 'disconnected', web: 'connected' },
    });

    stub.handle(PLATFORMS[0]!.handler(GOOD));
    expect(await t.services.channels.reconnectDisconnected()).toEqual([{ channel: 'telegram', connected: true }]);
    expect(await t.services.channels.reconnectDisconnected()).toEqual([]);
    expect(t.services.channels.healthSummary().status).toBe('ok');
    expect(t.services.channels.connectedNames()).toEqual(['telegram', 'web']);
  });
});
