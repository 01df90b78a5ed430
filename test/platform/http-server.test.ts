import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { appRequestClasses, createHttpServer } from '../../src/http/http-server.js';

/**
 * server.ts serves the app through createHttpServer, whose requests and responses are built
 * with the app's prototypes (so Express never has to switch them). These tests hold it to
 * answering exactly as Node's default server does.
 */

let t: TestApp;
const servers: http.Server[] = [];

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let ours: string;
let plain: string;

beforeAll(async () => {
  t = await makeTestApp();
  ours = await listen(createHttpServer(t.app));
  plain = await listen(http.createServer(t.app));
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  t.close();
});

describe('appRequestClasses', () => {
  it('builds requests and responses on the app prototypes, still Node request/response objects', () => {
    const classes = appRequestClasses(t.app);
    expect(classes).toBeDefined();
    const socket = new net.Socket();
    const req = new classes!.IncomingMessage(socket);
    const res = new classes!.ServerResponse(req);
    expect(Object.getPrototypeOf(req)).toBe(t.app.request);
    expect(Object.getPrototypeOf(res)).toBe(t.app.response);
    expect(req).toBeInstanceOf(http.IncomingMessage);
    expect(res).toBeInstanceOf(http.ServerResponse);
    // Express's own methods and getters are there before Express sees the request.
    expect(typeof (res as unknown as { json: unknown }).json).toBe('function');
    expect(typeof (req as unknown as { get: unknown }).get).toBe('function');
    socket.destroy();
  });
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | undefined>;
}

async function ask(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(base + path, init);
  const pick = ['content-type', 'content-length', 'x-api-version', 'access-control-allow-origin', 'allow', 'etag', 'vary'];
  return {
    status: res.status,
    body: (await res.text()).replace(/"(requestId|id|createdAt|updatedAt)":"[^"]*"/g, '"$1":"…"'),
    headers: Object.fromEntries(pick.map((h) => [h, res.headers.get(h) ?? undefined])),
  };
}

describe('createHttpServer', () => {
  const org = { 'x-org-id': 'default' };
  const json = { 'content-type': 'application/json', ...org };
  const cases: Array<[string, string, RequestInit]> = [
    ['health', '/health', {}],
    ['list', '/api/agents', { headers: org }],
    ['list under /v1', '/v1/api/agents?type=task', { headers: org }],
    ['invalid filter', '/api/agents?type=robot', { headers: org }],
    ['unknown agent', '/api/agents/agent-task-nope', { headers: org }],
    ['unknown org', '/api/agents', { headers: { 'x-org-id': 'org-nope' } }],
    ['unknown route', '/api/nothing-here', {}],
    ['method not allowed', '/api/agent-types', { method: 'DELETE' }],
    ['malformed JSON', '/api/agents', { method: 'POST', headers: json, body: '{"name":' }],
    ['wrong content type', '/api/agents', { method: 'POST', headers: { ...org, 'content-type': 'text/plain' }, body: 'x' }],
    ['validation error', '/api/agents', { method: 'POST', headers: json, body: JSON.stringify({ name: '', type: 'task' }) }],
    ['preflight', '/api/agents', { method: 'OPTIONS', headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST' } }],
    ['HEAD', '/health', { method: 'HEAD' }],
  ];

  it.each(cases)('answers %s exactly as Node’s default server does', async (_name, path, init) => {
    const a = await ask(ours, path, init);
    const b = await ask(plain, path, init);
    expect(a).toEqual(b);
  });

  it('serves writes: an agent created through it is read back through either server', async () => {
    const created = await fetch(`${ours}/api/agents`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Via server', type: 'task' }) });
    expect(created.status).toBe(201);
    const agent = (await created.json()) as { id: string; name: string };
    expect(agent.name).toBe('Via server');
    const back = await fetch(`${plain}/api/agents/${agent.id}`, { headers: org });
    expect(back.status).toBe(200);
    expect(((await back.json()) as { name: string }).name).toBe('Via server');
  });

  it('answers a request Node’s parser refuses with the JSON error shape', async () => {
    const port = Number(new URL(ours).port);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end('GET /health HTTP/1.1\r\nHost: x\r\nBad\u0000Header: 1\r\n\r\n'));
      let out = '';
      socket.on('data', (c: Buffer) => (out += c.toString('latin1')));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
    });
    expect(raw.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(raw).toContain('Content-Type: application/json; charset=utf-8');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'Malformed HTTP request', code: 'VALIDATION_ERROR', status: 400 });
  });
});
