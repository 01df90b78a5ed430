import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { listen, openStream, type Stream } from './support.js';
import { MAX_STREAMS_PER_IP } from '../../src/events/events.service.js';
// The server notices a closed socket on its own time.
import { until } from '../reliability/support.js';

let t: TestApp | undefined;
let srv: Awaited<ReturnType<typeof listen>> | undefined;
let opened: Stream[] = [];
afterEach(async () => {
  opened.forEach((s) => s.close());
  opened = [];
  await srv?.close();
  await t?.close();
  t = undefined;
  srv = undefined;
});

async function start(env: Record<string, string> = {}) {
  t = await makeTestApp({ env });
  srv = await listen(t.app);
  return { t, base: srv.base };
}
const open = async (base: string, path = '/api/events', headers: Record<string, string> = {}) => {
  const s = await openStream(base, path, headers);
  opened.push(s);
  return s;
};


describe('event stream limits', () => {
  it(`answers 429 RATE_LIMITED to the ${MAX_STREAMS_PER_IP + 1}st stream from one IP, and frees the slot when one closes`, async () => {
    const { t, base } = await start();
    const streams = [];
    for (let i = 0; i < MAX_STREAMS_PER_IP; i++) streams.push(await open(base));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    const refused = await open(base);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(refused.headers['retry-after']).toBe('5');
    streams[0]!.close();
    await until(() => t.services.events.openCount() === MAX_STREAMS_PER_IP - 1, 'the closed stream is released');
    expect((await open(base)).status).toBe(200);
  });

  it('answers 429 RATE_LIMITED beyond EVENTS_MAX_STREAMS on the process', async () => {
    const { base } = await start({ EVENTS_MAX_STREAMS: '2' });
    await open(base);
    await open(base, '/api/events', inOrg('default'));
    const refused = await open(base);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.headers['retry-after']).toBe('5');
  });

  it('counts opening a stream once against the API rate limit', async () => {
    const { t, base } = await start({ RATE_LIMIT_MAX: '3' });
    const s = await open(base);
    expect(s.status).toBe(200);
    await t.api().get('/api/agents').expect(200);
    await t.api().get('/api/agents').expect(200);
    // The stream stays open and is not counted again: the fourth request overall is refused.
    const res = await t.api().get('/api/agents').expect(429);
    expect(res.body.code).toBe('RATE_LIMITED');
  });

  it('disconnects a client that stops reading once 1 MB waits for it, and lets go of it', async () => {
    const { t, base } = await start();
    const { port } = new URL(base);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /api/events?types=audit.appended HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    // Reads nothing from here on.
    socket.pause();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    await until(() => t.services.events.openCount() === 1, 'the stream is open');
    const big = 'x'.repeat(60_000);
    for (let i = 0; i < 400 && t.services.events.openCount() > 0; i++) {
      await t.services.audit.append({ orgId: 'default', actorType: 'system', actorId: 'test', action: 'status', metadata: { big, i } });
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => t.services.events.openCount() === 0, 'the slow stream is cut off');
    socket.destroy();
    await closed;
    const metrics = await t.api().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^event_streams_open 0$/m);
  });

  it('closes every stream on shutdown and opens none after', async () => {
    const { t, base } = await start();
    const streams = [await open(base), await open(base, '/api/events', inOrg('default'))];
    t.services.events.closeAll();
    await Promise.all(streams.map((s) => s.ended));
    expect(t.services.events.openCount()).toBe(0);
    const late = await open(base);
    expect(late.status).toBe(503);
    expect(late.body).toMatchObject({ code: 'SERVER_BUSY' });
    expect(late.headers['retry-after']).toBe('5');
  });
});
