import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '@octokit/webhooks-methods';
import { createHmac } from 'node:crypto';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf, linkRepo, push } from './fixtures.js';

/**
 * JSON text the parser would accept but that cannot be stored unchanged: bytes that are
 * not UTF-8 (read back as U+FFFD) and escaped lone surrogates. Both are INVALID_JSON, on
 * webhooks as on /api, and nothing is stored.
 */
const SECRET = 'hush';
const INVALID_JSON_WEBHOOK = { error: 'Malformed JSON in webhook payload', code: 'INVALID_JSON', status: 400 };
const INVALID_JSON_API = { error: 'Malformed JSON in request body', code: 'INVALID_JSON', status: 400 };

let t: TestApp;
afterEach(() => t.close());

/** A push whose commit message is `raw` as written into the JSON text (escapes kept as typed). */
function pushText(raw: string): Buffer {
  return Buffer.from(JSON.stringify(push({ messages: ['PLACEHOLDER'] })).split('"PLACEHOLDER"').join(`"${raw}"`), 'utf8');
}

/** A push whose commit message holds these raw bytes. */
function pushBytes(bytes: number[]): Buffer {
  const parts = JSON.stringify(push({ messages: ['PLACEHOLDER'] })).split('PLACEHOLDER');
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from('caf'), Buffer.from(bytes), Buffer.from(part)])));
}

const HOSTILE: Array<[string, () => Buffer]> = [
  ['a lone high surrogate escape', () => pushText('\\ud800')],
  ['a lone high surrogate escape followed by text', () => pushText('\\ud800x')],
  ['a lone low surrogate escape', () => pushText('\\uDC00 tail')],
  ['two high surrogate escapes', () => pushText('\\ud83d\\ud83d')],
  ['a reversed pair', () => pushText('\\ude80\\ud83d')],
  ['a lone surrogate escape in a key', () => Buffer.from(JSON.stringify(push()).replace('"ref":', '"\\ud800":0,"ref":'))],
  ['an invalid UTF-8 byte', () => pushBytes([0xff])],
  ['a truncated UTF-8 sequence', () => pushBytes([0xc3])],
  ['UTF-8-encoded surrogate bytes (CESU-8)', () => pushBytes([0xed, 0xa0, 0x80])],
  ['an overlong encoding', () => pushBytes([0xc0, 0xaf])],
];

/** The exact bytes, as sent (supertest would serialize a Buffer as JSON). */
const asIs = (b: unknown) => b as string;

const post = (body: Buffer, headers: Record<string, string> = {}) =>
  t.api().post('/webhooks/github').set('content-type', 'application/json').set('x-github-event', 'push').set(headers).serialize(asIs).send(body);

describe('webhook bodies that are not sound UTF-8 JSON', () => {
  it.each(HOSTILE)('answers 400 INVALID_JSON for %s (unsigned) and stores nothing', async (_label, make) => {
    t = await makeTestApp();
    await linkRepo(t, undefined, { level: 3 });
    const before = (await auditOf(t)).length;
    const res = await post(make(), { 'x-github-delivery': 'd-hostile' }).expect(400);
    expect(res.body).toEqual(INVALID_JSON_WEBHOOK);
    expect(await auditOf(t)).toHaveLength(before);
    // The delivery id was not spent.
    expect((await post(Buffer.from(JSON.stringify(push())), { 'x-github-delivery': 'd-hostile' }).expect(200)).body.processed).toBe(true);
  });

  it.each(HOSTILE)('answers 400 INVALID_JSON for %s correctly signed, and 401 when the signature is wrong', async (_label, make) => {
    t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    const body = make();
    const good = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect((await post(body, { 'x-github-delivery': 'd-1', 'x-hub-signature-256': good }).expect(400)).body).toEqual(INVALID_JSON_WEBHOOK);
    const bad = `sha256=${createHmac('sha256', 'other').update(body).digest('hex')}`;
    expect((await post(body, { 'x-github-delivery': 'd-2', 'x-hub-signature-256': bad }).expect(401)).body.code).toBe('INVALID_SIGNATURE');
  });

  it('refuses a form payload field that percent-encodes invalid UTF-8 or a lone surrogate escape', async () => {
    t = await makeTestApp();
    for (const field of ['%7B%22zen%22%3A%22%FF%22%7D', encodeURIComponent('{"zen":"\\ud800"}')]) {
      const res = await t
        .api()
        .post('/webhooks/github')
        .set('content-type', 'application/x-www-form-urlencoded')
        .set('x-github-event', 'ping')
        .send(`payload=${field}`)
        .expect(400);
      expect(res.body).toEqual(INVALID_JSON_WEBHOOK);
    }
  });

  it('accepts surrogate pairs and escaped backslashes, and stores them unchanged', async () => {
    t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    await linkRepo(t, undefined, { level: 1 });
    const body = pushText('ship \\ud83d\\ude80 and \\\\ud800 as text').toString('utf8');
    const res = await post(Buffer.from(body), { 'x-github-delivery': 'd-ok', 'x-hub-signature-256': await sign(SECRET, body) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.ciEvent.details).toContain('ship \u{1F680} and \\ud800 as text');
    const [notify] = await auditOf(t, 'default', { action: 'notify' });
    expect(notify!.metadata.message).toContain('ship \u{1F680} and \\ud800 as text');
  });
});

describe('/api JSON bodies that are not sound UTF-8 JSON', () => {
  const agents = async () => (await t.api().get('/api/agents').expect(200)).body as Array<{ name: string }>;

  it.each<[string, Buffer]>([
    ['a lone surrogate escape in a value', Buffer.from('{"name":"\\ud800x","type":"task"}')],
    ['a lone surrogate escape in a key', Buffer.from('{"name":"ok","type":"task","\\udfff":1}')],
    ['a lone low surrogate after a pair', Buffer.from('{"name":"\\ud83d\\ude80\\ude80","type":"task"}')],
    ['an invalid UTF-8 byte', Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff]), Buffer.from('","type":"task"}')])],
    ['UTF-8-encoded surrogate bytes', Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xed, 0xb0, 0x80]), Buffer.from('","type":"task"}')])],
  ])('answers 400 INVALID_JSON for %s, and creates nothing', async (_label, body) => {
    t = await makeTestApp();
    const before = (await agents()).length;
    for (const path of ['/api/agents', '/v1/api/agents']) {
      const res = await t.api().post(path).set('content-type', 'application/json').serialize(asIs).send(body).expect(400);
      expect(res.body).toEqual(INVALID_JSON_API);
    }
    expect(await agents()).toHaveLength(before);
  });

  it('accepts surrogate pairs and escaped backslashes, and reads them back unchanged', async () => {
    t = await makeTestApp();
    const body = Buffer.from('{"name":"rocket \\ud83d\\ude80 \\\\udc00","type":"task"}');
    const res = await t.api().post('/api/agents').set('content-type', 'application/json').serialize(asIs).send(body).expect(201);
    expect(res.body.name).toBe('rocket \u{1F680} \\udc00');
    expect((await t.api().get(`/api/agents/${res.body.id}`).expect(200)).body.name).toBe('rocket \u{1F680} \\udc00');
  });
});
