import { execSql } from '../helpers/engine-db.js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';

let t: TestApp;
const open = async (opts?: Parameters<typeof makeTestApp>[0]) => (t = await makeTestApp(opts));
afterEach(() => t?.close());

describe('/v1 prefix', () => {
  it('serves every /api route also under /v1/api with the same answer', async () => {
    await open();
    await t.api().post('/v1/api/orgs').send({ name: 'Mirror Co' }).expect(201);
    const plain = await t.api().get('/api/orgs').expect(200);
    const v1 = await t.api().get('/v1/api/orgs').expect(200);
    expect(v1.body).toEqual(plain.body);
    expect(plain.body.map((o: { id: string }) => o.id).sort()).toEqual(['default', 'org-mirror-co']);

    const a = await t.api().get('/api/orgs/org-mirror-co').expect(200);
    const b = await t.api().get('/v1/api/orgs/org-mirror-co').expect(200);
    expect(b.body).toEqual(a.body);
  });

  it('answers errors identically under both prefixes', async () => {
    await open();
    const a = await t.api().get('/api/orgs/org-nope');
    const b = await t.api().get('/v1/api/orgs/org-nope');
    expectError(a, 404, 'ORG_NOT_FOUND', 'Organization not found');
    expect(b.status).toBe(404);
    expect(b.body).toEqual(a.body);
  });

  it('serves /health also at /v1/health', async () => {
    await open();
    const res = await t.api().get('/v1/health').expect(200);
    expect(res.body.status).toBe('ok');
  });
});

describe('X-API-Version', () => {
  it('is v1 on success, error, 404, 405, preflight and /health', async () => {
    await open();
    const responses = await Promise.all([
      t.api().get('/api/orgs'),
      t.api().get('/api/orgs/org-missing'),
      t.api().get('/api/no-such-route'),
      t.api().get('/nowhere'),
      t.api().delete('/api/orgs'),
      t.api().options('/api/orgs').set('Origin', 'https://dash.example').set('Access-Control-Request-Method', 'POST'),
      t.api().get('/health'),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 404, 404, 404, 405, 204, 200]);
    for (const r of responses) expect(r.headers['x-api-version']).toBe('v1');
  });

  it('is v1 on a 429', async () => {
    await open({ env: { RATE_LIMIT_MAX: '1' } });
    await t.api().get('/api/orgs').expect(200);
    const res = await t.api().get('/api/orgs').expect(429);
    expect(res.headers['x-api-version']).toBe('v1');
  });
});

describe('X-Request-Id', () => {
  it('echoes a sane incoming id', async () => {
    await open();
    const id = 'Req_1.2:abc-XYZ';
    const res = await t.api().get('/api/orgs').set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toBe(id);
  });

  it('echoes an id of exactly 128 characters', async () => {
    await open();
    const id = 'a'.repeat(128);
    const res = await t.api().get('/health').set('X-Request-Id', id);
    expect(res.headers['x-request-id']).toBe(id);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with a space', 'abc def'],
    ['with a slash', 'abc/def'],
    ['with quotes and angle brackets', '<script>"x"</script>'],
  ])('replaces an id that is %s with a fresh one', async (_why, id) => {
    await open();
    const res = await t.api().get('/api/orgs').set('X-Request-Id', id).expect(200);
    const fresh = res.headers['x-request-id'] as string;
    expect(fresh).not.toBe(id);
    expect(fresh).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });

  it('generates a distinct id per request when none is sent, on errors too', async () => {
    await open();
    const a = await t.api().get('/api/orgs');
    const b = await t.api().get('/api/nope');
    expect(a.headers['x-request-id']).toBeTruthy();
    expect(b.headers['x-request-id']).toBeTruthy();
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('carries the request id on every log line of the request', async () => {
    await open({ captureLogs: true });
    await t.api().get('/api/orgs').set('X-Request-Id', 'trace-me-1').expect(200);
    const lines = t.deps.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => JSON.stringify(l).includes('trace-me-1'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.requestId ?? l.reqId).toBe('trace-me-1');
  });
});

describe('unknown routes and wrong methods', () => {
  it('answers JSON 404 NOT_FOUND for an unknown route, inside and outside /api', async () => {
    await open();
    for (const path of ['/api/nothing-here', '/v1/api/nothing-here', '/', '/api']) {
      expectError(await t.api().get(path), 404, 'NOT_FOUND');
    }
    expectError(await t.api().post('/api/nothing-here').send({ a: 1 }), 404, 'NOT_FOUND');
  });

  it('answers 405 METHOD_NOT_ALLOWED with Allow for a known path asked with another method', async () => {
    await open();
    const res = await t.api().delete('/api/orgs');
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow!.split(/,\s*/).sort()).toEqual(['GET', 'HEAD', 'POST']);

    const one = await t.api().put('/v1/api/orgs/default').send({});
    expectError(one, 405, 'METHOD_NOT_ALLOWED');
    expect(one.headers.allow!.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);

    const audit = await t.api().post('/api/audit/verify');
    expectError(audit, 405, 'METHOD_NOT_ALLOWED');
    expect(audit.headers.allow!.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
  });

  it('answers 405 on /health for another method, and HEAD like GET', async () => {
    await open();
    for (const path of ['/health', '/v1/health']) {
      const res = await t.api().post(path).send({});
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.headers['x-api-version']).toBe('v1');
    }
    await t.api().head('/health').expect(200);
  });
});

describe('JSON bodies', () => {
  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a text/plain body', async () => {
    await open();
    const res = await t.api().post('/api/orgs').set('Content-Type', 'text/plain').send('{"name":"Plain"}');
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect((await t.api().get('/api/orgs')).body).toHaveLength(1);
  });

  it('answers 415 for a body with no content type at all', async () => {
    await open();
    const res = await t.api().post('/api/orgs').set('Content-Length', '2').send(Buffer.from('{}'));
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('accepts application/json with a charset parameter', async () => {
    await open();
    await t
      .api()
      .post('/api/orgs')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ name: 'Charset Inc' }))
      .expect(201);
  });

  it.each(['utf8', 'UTF-8', 'iso-8859-1'])('accepts any charset parameter (charset=%s) and reads the body as UTF-8 JSON', async (charset) => {
    await open();
    const res = await t
      .api()
      .post('/api/orgs')
      .set('Content-Type', `application/json; charset=${charset}`)
      .send(JSON.stringify({ name: `Caf\u00e9 ${charset}` }))
      .expect(201);
    expect(res.body.name).toBe(`Caf\u00e9 ${charset}`);
  });

  it('needs no content type for a POST without a body (no 415)', async () => {
    await open();
    const res = await t.api().post('/api/orgs');
    // The body is absent, so the route's own rule answers, not the media-type check.
    expectError(res, 400, 'MISSING_FIELD', 'Organization name is required');
  });

  it('answers 400 INVALID_JSON for malformed JSON', async () => {
    await open();
    const res = await t.api().post('/api/orgs').set('Content-Type', 'application/json').send('{"name": "Broken",');
    expectError(res, 400, 'INVALID_JSON');
  });

  it('answers 413 PAYLOAD_TOO_LARGE above JSON_BODY_LIMIT', async () => {
    await open({ env: { JSON_BODY_LIMIT: '200b' } });
    const res = await t.api().post('/api/orgs').send({ name: 'Big', slug: 'big', pad: 'x'.repeat(400) });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    await t.api().post('/api/orgs').send({ name: 'Small' }).expect(201);
  });

  it.each([
    ['an array', '[{"name":"Arr"}]'],
    ['a number', '42'],
    ['a string', '"Acme"'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('answers 400 VALIDATION_ERROR with details for %s where an object is expected', async (_what, raw) => {
    await open();
    const res = await t.api().post('/api/orgs').set('Content-Type', 'application/json').send(raw);
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.details).toEqual([{ path: 'body', message: expect.any(String) }]);
    expect((await t.api().get('/api/orgs')).body).toHaveLength(1);
  });

  it('answers 400 VALIDATION_ERROR with details for an unknown field of a strict body', async () => {
    await open();
    const res = await t.api().post('/api/orgs').send({ name: 'X', color: 'red' });
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(res.body.details).toEqual([{ path: expect.stringMatching(/^body/), message: expect.any(String) }]);
  });

  it('answers every response as application/json; charset=utf-8', async () => {
    await open();
    for (const res of [await t.api().get('/api/orgs'), await t.api().get('/health'), await t.api().get('/api/zzz')]) {
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    }
  });
});

describe('unexpected failures', () => {
  const LEAKS = [/ at /, /\.ts\b/, /\.js\b/, /sqlite/i, /SELECT|INSERT|FROM /, /no such table/i, /\/work\//, /node_modules/];

  it('answers 500 INTERNAL_ERROR without leaking, and logs the error with the request id (table dropped)', async () => {
    await open({ captureLogs: true });
    await execSql(t, 'DROP TABLE audit_chains');
    const res = await t.api().get('/api/audit').set('x-org-id', 'default').set('X-Request-Id', 'boom-1');
    expectError(res, 500, 'INTERNAL_ERROR', 'Internal server error');
    expect(res.body).toEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR', status: 500 });
    for (const leak of LEAKS) expect(res.text).not.toMatch(leak);
    expect(res.headers['x-request-id']).toBe('boom-1');
    expect(res.headers['x-api-version']).toBe('v1');

    const line = t.deps.logs.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.err && l.requestId === 'boom-1');
    expect(line).toBeDefined();
    expect(line!.level).toBeGreaterThanOrEqual(50);
    expect(String(line!.err.message)).toMatch(/no such table: audit_chains|relation "audit_chains" does not exist/);
    expect(String(line!.err.stack)).toContain('at ');
  });

  it('answers 500 when the database was closed under the app', async () => {
    await open({ captureLogs: true });
    await t.deps.engine.close();
    const res = await t.api().get('/api/orgs').set('X-Request-Id', 'closed-db');
    expect(res.body).toEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR', status: 500 });
    for (const leak of LEAKS) expect(res.text).not.toMatch(leak);
    expect(t.deps.logs.some((l) => l.includes('"requestId":"closed-db"') && l.includes('"err"'))).toBe(true);
  });
});

describe('GET /health', () => {
  it('answers the health shape', async () => {
    await open();
    t.deps.clock.advance(42_500);
    const res = await t.api().get('/health').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      version: '0.0.0-test',
      uptime: 42,
      checks: { database: expect.any(Object), channels: expect.any(Object), agents: expect.any(Object), scheduler: expect.any(Object) },
    });
  });
});
