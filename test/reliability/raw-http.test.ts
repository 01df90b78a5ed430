import { tableSnapshot } from '../helpers/engine-db.js';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { checkResponse, documentedOperations } from '../helpers/contract.js';
import { createHttpServer } from '../../src/http/http-server.js';

/**
 * What Node's HTTP client refuses to send — CR, LF and NUL inside header values (header
 * injection), oversized headers, request smuggling — sent over a raw socket to the app
 * listening the way server.ts listens (createHttpServer, with its clientError handler).
 */

let t: TestApp;
let server: http.Server;
let port: number;
let runs = 0;

beforeAll(async () => {
  t = await makeTestApp();
  server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  console.log(`raw http: ${runs} hostile raw requests`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  t.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  raw: string;
}

/**
 * One request on its own connection (Connection: close); resolves with the parsed answer once
 * the server closes. The client does not half-close first: Node's server drops a request
 * still in flight when its client ends the connection, so a handler that awaits the database
 * (PostgreSQL's round trip) would otherwise leave an empty answer.
 */
function rawRequest(bytes: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      // Only the first answer: an injected CRLF CRLF makes a second, pipelined request.
      const length = Number(headers['content-length'] ?? 0);
      const text = Buffer.from(rest.join('\r\n\r\n'), 'latin1').subarray(0, length).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // left as text: the checks below say what was wrong with it
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, raw });
    });
  });
}

const INJECTIONS = ['a\r\nX-Injected: 1', 'a\nX-Injected: 1', 'a\rX-Injected: 1', 'a\u0000b', '\r\n\r\nGET /api/orgs HTTP/1.1', 'a\r\n folded', 'caf\u00e9', 'a\u007fb', '../../x', ''];
const NAMES = ['x-org-id', 'x-actor-id', 'idempotency-key', 'x-request-id', 'authorization', 'content-type', 'x-evil header', 'x-\u00e9', 'Host'];
const PATHS = ['/api/agents', '/api/orgs', '/v1/api/projects', '/api/agents/%FF', '/api/agents/\u00ff', '/api/a b', '/api/../../etc/passwd', '/health', '/api/audit?limit=\r\n'];

const rawCase = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'G\u0000T', 'PATCH'),
  path: fc.constantFrom(...PATHS),
  headers: fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.oneof(fc.constantFrom(...INJECTIONS), fc.string({ unit: 'binary-ascii', maxLength: 20 }))), { maxLength: 4 }),
  body: fc.option(fc.constantFrom('{"name":"Raw"}', '{"name":"\u00ff"}', '{bad'), { nil: undefined }),
  big: fc.boolean(),
});

type RawCase = typeof rawCase extends fc.Arbitrary<infer R> ? R : never;

const toBytes = (c: RawCase): Buffer => {
  const lines = [`${c.method} ${c.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of c.headers) lines.push(`${name}: ${value}`);
  if (c.big) lines.push(`X-Padding: ${'p'.repeat(20_000)}`);
  if (c.body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(c.body, 'latin1')}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${c.body ?? ''}`, 'latin1');
};

const ops = () => documentedOperations(t.routes);
const PARSER_MESSAGES = ['Malformed HTTP request', 'Request headers are too large'];

function expectContractAnswer(res: RawResponse, method: string, path: string): void {
  expect(res.status, res.raw.slice(0, 300)).toBeGreaterThanOrEqual(200);
  expect(res.status, res.raw.slice(0, 300)).toBeLessThan(500);
  expect(res.headers['x-api-version']).toBe('v1');
  expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect(Object.keys(res.headers)).not.toContain('x-injected');
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ status: res.status, code: expect.any(String), error: expect.any(String) });
  }
  // Answers of Node's parser (via answerClientError) come before routing: no operation to check them against.
  const parserLevel = PARSER_MESSAGES.includes((res.body as { error?: string }).error ?? '');
  const m = method.toLowerCase();
  if (!parserLevel && /^[a-z]+$/.test(m) && !/[^\x21-\x7e]/.test(path)) {
    expect(checkResponse(ops(), m, path, { status: res.status, body: res.body, headers: res.headers })).toBeUndefined();
  }
}

describe('malformed and hostile raw HTTP', () => {
  it.each([
    ['a CRLF header injection', 'GET /api/agents HTTP/1.1\r\nHost: x\r\nx-org-id: a\rX-Injected: 1\r\nConnection: close\r\n\r\n'],
    ['a NUL byte in a header', 'GET /api/agents HTTP/1.1\r\nHost: x\r\nx-actor-id: a\u0000b\r\nConnection: close\r\n\r\n'],
    ['headers over 16 KB', `GET /api/agents HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`],
    ['Content-Length with Transfer-Encoding (smuggling)', 'POST /api/orgs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'],
    ['a malformed request line', 'G@T /api/agents HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('answers %s with 400 and the error body', async (_what, request) => {
    const res = await rawRequest(Buffer.from(request, 'latin1'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expectContractAnswer(res, 'GET', '/');
  });

  it('answers every hostile raw request with a contract error or a documented success, and rejected ones change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, async (c) => {
        const before = await tableSnapshot(t);
        const res = await rawRequest(toBytes(c));
        runs++;
        expectContractAnswer(res, c.method, c.path);
        if (res.status >= 400) expect(await tableSnapshot(t)).toEqual(before);
      }),
      { numRuns: 300 },
    );
    const health = await rawRequest(Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(health.status).toBe(200);
  }, 60_000);
});
