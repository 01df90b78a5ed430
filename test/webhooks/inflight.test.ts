import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { auditOf, linkRepo, push } from './fixtures.js';

/**
 * The cap on webhook bytes held at once (WEBHOOK_INFLIGHT_MB), against the app listening
 * the way server.ts listens, over raw sockets: a test decides exactly which bytes have
 * been sent when the answer arrives.
 */
const MiB = 1024 * 1024;
const BUSY = { error: 'Too many webhook deliveries are being received at once; retry later', code: 'SERVER_BUSY', status: 503 };

let t: TestApp;
let server: http.Server;
let port: number;
const sockets: net.Socket[] = [];

async function listen(env: Record<string, string>) {
  t = await makeTestApp({ env });
  server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** A delivery whose head is sent at once; the body is written by the test, when it wants. */
function open(headers: Record<string, string | number>, path = '/webhooks/github') {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', 'X-GitHub-Event: push', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  const answer = new Promise<Answer>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const hs = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(hs['content-length'] ?? 0);
      if (buf.length < end + 4 + length) return;
      resolve({ status: Number(statusLine.split(' ')[1]), headers: hs, body: JSON.parse(buf.subarray(end + 4, end + 4 + length).toString('utf8')) });
    });
  });
  const write = (data: Buffer | string) => new Promise<void>((resolve) => socket.write(data, () => resolve()));
  return { answer, write };
}

/** A JSON push payload padded to `size` bytes (a long commit message). */
function paddedPush(size: number): Buffer {
  const base = push({ messages: ['x'] });
  const text = JSON.stringify(base);
  base.head_commit.message = 'x'.repeat(size - text.length);
  return Buffer.from(JSON.stringify(base));
}

const chunk = (data: Buffer) => Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);

describe('WEBHOOK_INFLIGHT_MB: webhook bytes held at once', () => {
  it('answers 503 SERVER_BUSY with Retry-After from the Content-Length alone, before a byte of the body is sent', async () => {
    await listen({ WEBHOOK_INFLIGHT_MB: '1' });
    const { answer } = open({ 'Content-Length': 2 * MiB, 'X-GitHub-Delivery': 'd-big' });
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.body).toEqual(BUSY);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('answers 413 PAYLOAD_TOO_LARGE from the Content-Length alone when the body is over WEBHOOK_BODY_LIMIT', async () => {
    await listen({ WEBHOOK_BODY_LIMIT: '1mb' });
    const res = await open({ 'Content-Length': 2 * MiB }).answer;
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('shares the cap between deliveries, and frees it when a delivery is answered', async () => {
    await listen({ WEBHOOK_INFLIGHT_MB: '1' });
    await linkRepo(t);
    const body = paddedPush(700 * 1024);
    const first = open({ 'Content-Length': body.length, 'X-GitHub-Delivery': 'd-1' });
    await first.write(body.subarray(0, 1000));
    // 700 KiB announced and partly sent: another 700 KiB does not fit under 1 MiB.
    const second = await open({ 'Content-Length': body.length, 'X-GitHub-Delivery': 'd-2' }).answer;
    expect(second.status).toBe(503);
    await first.write(body.subarray(1000));
    expect((await first.answer).body.processed).toBe(true);
    const again = open({ 'Content-Length': body.length, 'X-GitHub-Delivery': 'd-2' });
    await again.write(body);
    expect((await again.answer).body).toMatchObject({ received: true, processed: false, duplicate: true, reason: 'Replayed payload' });
  });

  it('counts a chunked body as it streams and refuses it once it passes the cap, with nothing stored', async () => {
    await listen({ WEBHOOK_INFLIGHT_MB: '1' });
    await linkRepo(t);
    const before = (await auditOf(t)).length;
    const body = paddedPush(3 * MiB);
    const req = open({ 'Transfer-Encoding': 'chunked', 'X-GitHub-Delivery': 'd-chunked' });
    // Just past the cap, then nothing more: the answer must come without the other 2 MiB.
    const sent = MiB + 64 * 1024;
    for (let at = 0; at < sent; at += 64 * 1024) await req.write(chunk(body.subarray(at, at + 64 * 1024)));
    const res = await req.answer;
    expect(res.status).toBe(503);
    expect(res.body).toEqual(BUSY);
    expect(res.headers['retry-after']).toBe('5');
    expect(await auditOf(t)).toHaveLength(before);
  });

  it('reads a chunked body under the cap in full', async () => {
    await listen({ WEBHOOK_INFLIGHT_MB: '1' });
    await linkRepo(t);
    const body = paddedPush(300 * 1024);
    const req = open({ 'Transfer-Encoding': 'chunked', 'X-GitHub-Delivery': 'd-small' });
    for (let at = 0; at < body.length; at += 50 * 1024) await req.write(chunk(body.subarray(at, at + 50 * 1024)));
    await req.write('0\r\n\r\n');
    expect((await req.answer).body).toMatchObject({ received: true, event: 'push', processed: true });
  });

  it('refuses an unsigned delivery before reading its body when a signature is required', async () => {
    await listen({ WEBHOOK_INFLIGHT_MB: '1', GITHUB_WEBHOOK_SECRET: 's' });
    // Ten times the cap announced, nothing sent: the answer does not wait for the body.
    const res = await open({ 'Content-Length': 10 * MiB, 'X-GitHub-Delivery': 'd-unsigned' }).answer;
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('INVALID_SIGNATURE');
  });
});
