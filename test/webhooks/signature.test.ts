import { afterEach, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf, deliver, linkRepo, push } from './fixtures.js';

const SECRET = 's';
const INVALID_SIGNATURE = { error: 'Missing or invalid X-Hub-Signature-256', code: 'INVALID_SIGNATURE', status: 401 };

let t: TestApp;
afterEach(() => t.close());

const processedPush = { received: true, event: 'push', processed: true };

describe('POST /webhooks/github with GITHUB_WEBHOOK_SECRET set', () => {
  const setup = async () => {
    t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    await linkRepo(t);
    return (await auditOf(t)).length;
  };

  it('accepts a real payload signed with the same secret over the exact body sent', async () => {
    const before = await setup();
    const res = await deliver(t, 'push', push(), { secret: SECRET }).expect(200);
    expect(res.body).toMatchObject(processedPush);
    expect((await auditOf(t)).length).toBeGreaterThan(before);
  });

  it('accepts the signature whatever the JSON formatting, because it covers the raw bytes', async () => {
    await setup();
    const body = JSON.stringify(push(), null, 2) + '\n';
    const res = await t
      .api()
      .post('/webhooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'push')
      .set('x-github-delivery', 'd-pretty')
      .set('x-hub-signature-256', await sign(SECRET, body))
      .send(body)
      .expect(200);
    expect(res.body).toMatchObject(processedPush);
  });

  it.each<[string, (body: string) => Promise<Record<string, string>>]>([
    ['no signature', async () => ({})],
    ['an empty signature', async () => ({ 'x-hub-signature-256': '' })],
    ['a wrong signature', async () => ({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })],
    ['a malformed signature', async () => ({ 'x-hub-signature-256': 'not-a-signature' })],
    ['a sha1 signature only', async (b) => ({ 'x-hub-signature': (await sign(SECRET, b)).replace('sha256', 'sha1') })],
    ['a signature made with another secret', async (b) => ({ 'x-hub-signature-256': await sign('another-secret', b) })],
    ['a body altered after signing', async (b) => ({ 'x-hub-signature-256': await sign(SECRET, b.replace('alice', 'mallory')) })],
  ])('answers 401 INVALID_SIGNATURE with %s, and stores nothing', async (_label, headersFor) => {
    const before = await setup();
    const body = JSON.stringify(push());
    const res = await t
      .api()
      .post('/webhooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'push')
      .set('x-github-delivery', 'd-sig')
      .set(await headersFor(body))
      .send(body)
      .expect(401);
    expect(res.body).toEqual(INVALID_SIGNATURE);
    expect(await auditOf(t)).toHaveLength(before);
    // The refused delivery id was not recorded: a properly signed one with that id runs.
    const ok = await deliver(t, 'push', push(), { secret: SECRET, id: 'd-sig' }).expect(200);
    expect(ok.body).toMatchObject(processedPush);
  });

  it('answers 401 for a signed-looking request with an empty body', async () => {
    await setup();
    const res = await t
      .api()
      .post('/webhooks/github')
      .set('x-github-event', 'push')
      .set('x-hub-signature-256', `sha256=${createHmac('sha256', SECRET).update('').digest('hex')}`)
      .expect(401);
    expect(res.body).toEqual(INVALID_SIGNATURE);
  });

  it('checks the event header before the signature (no header and a bad signature → 400)', async () => {
    await setup();
    const res = await deliver(t, null, push(), { headers: { 'x-hub-signature-256': 'sha256=bad' } }).expect(400);
    expect(res.body).toEqual({ error: 'Missing X-GitHub-Event header', code: 'MISSING_EVENT_HEADER', status: 400 });
  });

  it('checks the signature before the body (malformed JSON, unsigned → 401)', async () => {
    await setup();
    const res = await deliver(t, 'push', '{not json').expect(401);
    expect(res.body).toEqual(INVALID_SIGNATURE);
  });

  it('checks the body after a valid signature (signed malformed JSON → 400 INVALID_JSON)', async () => {
    await setup();
    const res = await deliver(t, 'push', '{not json', { secret: SECRET }).expect(400);
    expect(res.body).toEqual({ error: 'Malformed JSON in webhook payload', code: 'INVALID_JSON', status: 400 });
  });

  it('verifies a form-encoded payload= delivery over the form body', async () => {
    await setup();
    const form = new URLSearchParams({ payload: JSON.stringify(push()) }).toString();
    const send = async (signature: string) =>
      t
        .api()
        .post('/webhooks/github')
        .set('content-type', 'application/x-www-form-urlencoded')
        .set('x-github-event', 'push')
        .set('x-github-delivery', `d-form-${signature.slice(7, 15)}`)
        .set('x-hub-signature-256', signature)
        .send(form);
    expect((await send(await sign(SECRET, form))).body).toMatchObject(processedPush);
    // A signature over the JSON inside the form is not a signature over what was sent.
    const res = await send(await sign(SECRET, JSON.stringify(push())));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_SIGNATURE);
  });

  it('verifies on /v1/webhooks/github the same way', async () => {
    await setup();
    expect((await deliver(t, 'push', push(), { secret: SECRET, path: '/v1/webhooks/github' }).expect(200)).body).toMatchObject(processedPush);
    expect((await deliver(t, 'push', push(), { path: '/v1/webhooks/github' }).expect(401)).body).toEqual(INVALID_SIGNATURE);
  });
});

describe('POST /webhooks/github without GITHUB_WEBHOOK_SECRET', () => {
  it('accepts an unsigned delivery', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    const res = await deliver(t, 'push', push()).expect(200);
    expect(res.body).toMatchObject(processedPush);
  });

  it('ignores whatever signature a delivery carries', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    const res = await deliver(t, 'push', push(), { headers: { 'x-hub-signature-256': 'sha256=whatever' } }).expect(200);
    expect(res.body).toMatchObject(processedPush);
  });

  it('accepts a form-encoded payload= delivery', async () => {
    t = await makeTestApp();
    await linkRepo(t);
    const res = await t
      .api()
      .post('/webhooks/github')
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('x-github-event', 'push')
      .send(new URLSearchParams({ payload: JSON.stringify(push()) }).toString())
      .expect(200);
    expect(res.body).toMatchObject({ ...processedPush, ciEvent: { details: 'Push to main by alice: feat: add rate limiting' } });
  });
});
