import { afterEach, describe, expect, it } from 'vitest';
import type { NextFunction, Request, Response } from 'express';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { orgScope } from '../../src/http/org-scope.js';
import { AppError } from '../../src/http/errors.js';

describe('repeated x-org-id / x-actor-id headers over HTTP', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('answers 400 INVALID_ORG_ID to x-org-id sent twice (the values arrive joined), even when both name the org', async () => {
    t = await makeTestApp();
    // Node's http client sends an array as one header line per value.
    const twice = ['default', 'default'] as unknown as string;
    expectError(await t.api().get('/api/orgs').set('x-org-id', twice), 400, 'INVALID_ORG_ID');
  });

  it('answers 400 INVALID_ACTOR_ID to an x-actor-id of spaces only (it arrives empty)', async () => {
    t = await makeTestApp();
    expectError(await t.api().post('/api/orgs').set('x-actor-id', '    ').send({ name: 'Refused' }), 400, 'INVALID_ACTOR_ID');
    expect((await t.api().get('/api/orgs').expect(200)).body).toHaveLength(1);
  });
});

/**
 * The middleware's own decision, for values Node's HTTP parser never hands it (an array of
 * values, a header of spaces) but any other caller could: refused, never reinterpreted.
 */
describe('orgScope (unit)', () => {
  const run = (headers: Record<string, string | string[]>, exists = (id: string) => id === 'default' || id === 'ab') => {
    let passed: unknown = 'not called';
    const res = { locals: {} } as Response;
    const next: NextFunction = (err?: unknown) => {
      passed = err;
    };
    orgScope(exists)({ headers } as unknown as Request, res, next);
    return { err: passed, locals: res.locals };
  };

  it('refuses x-org-id given as several values instead of gluing them into another id', () => {
    const { err } = run({ 'x-org-id': ['a', 'b'] });
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 400, code: 'INVALID_ORG_ID' });
  });

  it.each([' ', '   ', ' '.repeat(128)])('refuses an x-actor-id of %j (spaces only)', (actor) => {
    const { err } = run({ 'x-actor-id': actor });
    expect(err).toMatchObject({ status: 400, code: 'INVALID_ACTOR_ID', message: 'Invalid x-actor-id header: use 1-128 printable characters' });
  });

  it('keeps an x-actor-id with spaces around it as it is', () => {
    const { err, locals } = run({ 'x-actor-id': ' ci bot ', 'x-org-id': 'default' });
    expect(err).toBeUndefined();
    expect(locals).toEqual({ scope: { orgId: 'default' }, actor: ' ci bot ' });
  });
});
