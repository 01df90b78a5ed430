import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { listen } from './support.js';
import { chunkOf } from '../../src/events/sse-writer.js';
import { until } from '../reliability/support.js';

// Frames go to the socket as HTTP/1.1 chunks framed by the server itself; these read the
// bytes as they arrive on the wire, so a framing mistake shows here even where a client
// library would paper over it.

let t: TestApp | undefined;
let srv: Awaited<ReturnType<typeof listen>> | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await srv?.close();
  await t?.close();
  t = undefined;
  srv = undefined;
});

/** Sends a raw request and collects every byte of the answer until the connection ends. */
async function rawRequest(request: string) {
  t = await makeTestApp({ env: { EVENTS_HEARTBEAT_MS: '100' } });
  srv = await listen(t.app);
  const socket = net.connect(Number(new URL(srv.base).port), '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let bytes = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
  const ended = new Promise<void>((r) => socket.once('end', () => r()));
  socket.write(request);
  return { t, socket, ended, text: () => bytes.toString('latin1') };
}

/** Decodes a chunked body strictly: every size line, every CRLF, and the last chunk. */
function dechunk(body: string): { chunks: string[]; complete: boolean } {
  const chunks: string[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return { chunks, complete: false };
    const sizeText = body.slice(at, eol);
    expect(sizeText, `chunk size line at byte ${at}`).toMatch(/^[0-9a-f]+$/);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      expect(body.slice(eol + 2)).toBe('\r\n');
      return { chunks, complete: true };
    }
    const data = body.slice(eol + 2, eol + 2 + size);
    if (data.length < size) return { chunks, complete: false };
    expect(body.slice(eol + 2 + size, eol + 4 + size), `CRLF after the chunk at byte ${at}`).toBe('\r\n');
    chunks.push(data);
    at = eol + 4 + size;
  }
}

describe('event stream bytes on the wire', () => {
  it('HTTP/1.1: every frame and heartbeat is a well-formed chunk, and shutdown ends the body with the last chunk', async () => {
    const { t, text } = await rawRequest('GET /api/events?lastEventId=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-org-id: default\r\n\r\n');
    await until(() => t.services.events.openCount() === 1, 'the stream is open');
    await t.services.agents.create({ orgId: 'default' }, 'test', { name: 'wire', type: 'task' });
    // A resume from the start: the agent's audit entry comes whether it is committed before
    // the stream has joined the live feed or after (replayed, or live).
    await until(() => text().includes('"action":"agent_create"') && text().includes(': heartbeat'), 'a frame and a heartbeat');
    // Live from here on: these frames go out through the flush (shared buffers).
    await t.services.agents.create({ orgId: 'default' }, 'test', { name: 'live', type: 'task' });
    await until(() => text().includes('"name":"live"') && text().split('"action":"agent_create"').length === 3, 'the live frames');
    t.services.events.closeAll();
    // The connection stays open for a next request (keep-alive): the body's end is the last chunk.
    await until(() => text().endsWith('\r\n0\r\n\r\n'), 'the last chunk');
    const raw = text();
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    const { chunks, complete } = dechunk(raw.slice(head.length + 4));
    expect(complete).toBe(true);
    const body = chunks.join('');
    expect(body.startsWith('retry: 3000\n: connected\n\n')).toBe(true);
    expect(body).toContain(': heartbeat\n\n');
    const frame = body.split('\n\n').find((b) => b.includes('"action":"agent_create"'))!;
    expect(frame).toMatch(/^id: \d+\nevent: audit\.appended\n/);
    expect(body).toMatch(/event: agent\.created\ndata: \{"type":"agent\.created","orgId":"default","at":"[^"]+","data":\{[^\n]*"name":"live"/);
    expect(JSON.parse(frame.split('\n').find((l) => l.startsWith('data: '))!.slice(6))).toMatchObject({ type: 'audit.appended', orgId: 'default' });
  });

  it('HTTP/1.0: the stream is plain bytes read until the connection closes, never chunk-framed', async () => {
    const { t, ended, text } = await rawRequest('GET /api/events?lastEventId=0 HTTP/1.0\r\nHost: 127.0.0.1\r\nx-org-id: default\r\n\r\n');
    await until(() => t.services.events.openCount() === 1, 'the stream is open');
    await t.services.agents.create({ orgId: 'default' }, 'test', { name: 'wire', type: 'task' });
    // A resume from the start: the agent's audit entry comes whether it is committed before
    // the stream has joined the live feed or after (replayed, or live).
    await until(() => text().includes('"action":"agent_create"') && text().includes(': heartbeat'), 'a frame and a heartbeat');
    t.services.events.closeAll();
    await ended;
    const raw = text();
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    const body = raw.slice(head.length + 4);
    expect(body.startsWith('retry: 3000\n: connected\n\n')).toBe(true);
    expect(body).not.toMatch(/\r\n/);
    expect(body).toMatch(/event: audit\.appended\ndata: \{"type":"audit\.appended","orgId":"default"/);
  });
});

describe('chunk framing', () => {
  it('frames text and bytes as size in hex, CRLF, the bytes, CRLF (the size counts bytes, not characters)', () => {
    expect(chunkOf(': heartbeat\n\n').toString()).toBe('d\r\n: heartbeat\n\n\r\n');
    expect(chunkOf('é').toString()).toBe('2\r\né\r\n');
    const big = Buffer.alloc(300, 'a');
    expect(chunkOf(big).toString()).toBe(`12c\r\n${'a'.repeat(300)}\r\n`);
  });

  it('frames a shared buffer once for every stream given it', () => {
    const shared = Buffer.from('event: x\ndata: {}\n\n');
    expect(chunkOf(shared)).toBe(chunkOf(shared));
    expect(chunkOf(Buffer.from(shared))).not.toBe(chunkOf(shared));
  });
});
