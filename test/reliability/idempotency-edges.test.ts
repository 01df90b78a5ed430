import { afterEach, describe, expect, it } from 'vitest';
import type { NextFunction, Request, Response } from 'express';
import { makeTestApp, inOrg, type TestApp, sqliteOf } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { idempotency } from '../../src/idempotency/idempotency.middleware.js';
import { AppError } from '../../src/http/errors.js';
import { createOrg } from './support.js';

const HOUR = 3_600_000;
let t: TestApp;
afterEach(() => t.close());

const keyed = (key: string, org?: string) => ({ ...(org ? inOrg(org) : {}), 'Idempotency-Key': key });
const agentCount = async (org: string) => ((await t.api().get('/api/agents').set(inOrg(org)).expect(200)).body as unknown[]).length;

describe('Idempotency-Key: the 24 h boundary', () => {
  it('replays up to the last millisecond before 24 h, and runs the request again at exactly 24 h', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const send = () => t.api().post('/api/agents').set(keyed('nightly', org)).send({ name: 'bot', type: 'task' });
    const first = await send().expect(201);

    t.deps.clock.advance(24 * HOUR - 1);
    const kept = await send().expect(201);
    expect(kept.headers['idempotent-replayed']).toBe('true');
    expect(kept.body).toEqual(first.body);

    t.deps.clock.advance(1);
    const rerun = await send().expect(201);
    expect(rerun.headers['idempotent-replayed']).toBeUndefined();
    expect(rerun.body.id).not.toBe(first.body.id);
    expect(await agentCount(org)).toBe(2);

    // The rerun's answer is the one kept from now on.
    const afterRerun = await send().expect(201);
    expect(afterRerun.headers['idempotent-replayed']).toBe('true');
    expect(afterRerun.body).toEqual(rerun.body);
  });
});

describe('Idempotency-Key across /api and /v1/api', () => {
  it('replays a request first made under /v1/api when it is repeated under /api', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const first = await t.api().post('/v1/api/agents').set(keyed('k', org)).send({ name: 'bot', type: 'task' }).expect(201);
    const again = await t.api().post('/api/agents').set(keyed('k', org)).send({ name: 'bot', type: 'task' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await agentCount(org)).toBe(1);
  });

  it('replays a DELETE across the prefixes instead of answering 404', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    const agent = await t.api().post('/api/agents').set(inOrg(org)).send({ name: 'bot', type: 'task' }).expect(201);
    const first = await t.api().delete(`/api/agents/${agent.body.id}`).set(keyed('rm', org)).expect(200);
    const again = await t.api().delete(`/v1/api/agents/${agent.body.id}`).set(keyed('rm', org)).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('still answers 422 IDEMPOTENCY_KEY_REUSED for another body under the other prefix', async () => {
    t = await makeTestApp();
    const org = await createOrg(t, 'Acme');
    await t.api().post('/api/agents').set(keyed('k', org)).send({ name: 'bot', type: 'task' }).expect(201);
    const other = await t.api().post('/v1/api/agents').set(keyed('k', org)).send({ name: 'other', type: 'task' });
    expectError(other, 422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');
    expect(await agentCount(org)).toBe(1);
  });

  it('folds only the leading prefix: a path that merely contains /v1/api/ is another request', async () => {
    t = await makeTestApp();
    // Unknown paths answer 404, and that answer is kept under the key like any other.
    const first = await t.api().post('/api/nothing/v1/api/x').set(keyed('k')).send({});
    expectError(first, 404, 'NOT_FOUND');
    const replay = await t.api().post('/api/nothing/v1/api/x').set(keyed('k')).send({});
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await t.api().post('/api/nothing/api/x').set(keyed('k')).send({});
    expectError(other, 422, 'IDEMPOTENCY_KEY_REUSED');
  });
});

describe('the Idempotency-Key rule itself (unit)', () => {
  // Over HTTP a value of spaces arrives empty (the parser strips the whitespace around a
  // header value) and fails the length rule; the middleware refuses a blank key on its own
  // too, whatever hands it the request.
  async function decide(key: string | string[]): Promise<unknown> {
    t = await makeTestApp();
    const mw = idempotency({ store: t.services.idempotency, clock: t.deps.clock, box: t.services.secretsAtRest.box });
    let passed: unknown = 'not called';
    const next: NextFunction = (err?: unknown) => {
      passed = err;
    };
    const req = { method: 'POST', headers: { 'idempotency-key': key }, originalUrl: '/api/agents' } as unknown as Request;
    const res = { locals: {}, json: () => res, on: () => res } as unknown as Response;
    // The middleware reads storage before it lets a request through: wait for it.
    await mw(req, res, next);
    return passed;
  }

  it.each([' ', '   ', ' '.repeat(255)])('refuses a key of %j spaces only with 400 VALIDATION_ERROR', async (key) => {
    const err = await decide(key);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', message: 'Idempotency-Key must be 1-255 printable characters' });
  });

  it('refuses a key given twice (an array of values)', async () => {
    expect(await decide(['a', 'b'])).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
  });

  it('lets a key with spaces inside it through', async () => {
    expect(await decide(' a b ')).toBeUndefined();
  });
});
