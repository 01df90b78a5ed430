import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasNulEscape, isSoundJsonText } from '../../src/http/json-text.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

// PostgreSQL text cannot hold the NUL character: both engines answer the same for it.

describe('JSON text with an escaped NUL character', () => {
  it('is found as an escape only, not as an escaped backslash followed by u0000', () => {
    expect(hasNulEscape(Buffer.from('{"name":"a\\u0000b"}'))).toBe(true);
    expect(hasNulEscape(Buffer.from('["\\u0000"]'))).toBe(true);
    expect(hasNulEscape(Buffer.from('{"name":"a\\\\u0000b"}'))).toBe(false);
    expect(hasNulEscape(Buffer.from('{"name":"\\u0041\\u00e9 \\" \\\\"}'))).toBe(false);
    expect(hasNulEscape(Buffer.from('{"name":"plain"}'))).toBe(false);
    expect(hasNulEscape(Buffer.from('"\\u0000"'))).toBe(true);
    // The text `\u0000` after an escaped backslash, then another escape: not a NUL character.
    expect(hasNulEscape(Buffer.from('"\\\\u0000 \\n0000"'))).toBe(false);
    expect(hasNulEscape(Buffer.from('"\\\\u0000\\u0041"'))).toBe(false);
    expect(isSoundJsonText(Buffer.from('{"name":"a\\u0000b"}'))).toBe(false);
    expect(isSoundJsonText(Buffer.from('{"name":"a\\\\u0000b"}'))).toBe(true);
  });
});

describe('the NUL character through the API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(() => t.close());

  it('in a JSON body: 400 INVALID_JSON, and nothing is stored', async () => {
    const res = await t.api().post('/api/agents').set('content-type', 'application/json').send('{"name":"a\\u0000b","type":"task"}').expect(400);
    expect(res.body).toEqual({ error: 'Malformed JSON in request body', code: 'INVALID_JSON', status: 400 });
    expect((await t.api().get('/api/agents').expect(200)).body).toEqual([]);
  });

  it('in a path or a query: looked up, and found nowhere', async () => {
    await t.api().post('/api/agents').send({ name: 'Kept', type: 'task' }).expect(201);
    expect((await t.api().get('/api/agents/a%00b').expect(404)).body.code).toBe('AGENT_NOT_FOUND');
    expect((await t.api().delete('/api/projects/%00').expect(404)).body.code).toBe('PROJECT_NOT_FOUND');
    expect((await t.api().get('/api/audit').query({ actorId: 'a\u0000b' }).expect(200)).body).toMatchObject({ entries: [], total: 0 });
    expect((await t.api().get('/api/agents').expect(200)).body).toHaveLength(1);
  });
});
