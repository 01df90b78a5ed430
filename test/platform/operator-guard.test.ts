import express from 'express';
import supertest from 'supertest';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestApp } from '../helpers/app.js';
import { operatorGuard, OPERATOR_REQUIRED } from '../../src/http/operator-guard.js';
import { errorHandler } from '../../src/http/error-handler.js';

// The guard on its own, behind a stand-in for bearer auth that sets (or not) the token's org.
// The server mounts it only with API_TOKENS, so a caller without a token org never reaches it
// there; mounted anywhere else, such a caller is the operator of an open API and passes.

const t = await makeTestApp();
afterAll(async () => await t.close());

function guarded() {
  const app = express();
  app.use((req, res, next) => {
    const org = req.headers['x-test-token-org'];
    if (typeof org === 'string') res.locals.tokenOrg = org;
    next();
  });
  app.use(operatorGuard(t.routes));
  app.use((_req, res) => {
    res.json({ served: true });
  });
  app.use(errorHandler(pino({ enabled: false })));
  return supertest(app);
}

describe('operatorGuard', () => {
  it('serves an operator-only route to a caller without a token org (open API) and to the * token; refuses an org token', async () => {
    const api = guarded();
    expect((await api.post('/scheduler/audit-cleanup/pause').expect(200)).body).toEqual({ served: true });
    await api.post('/scheduler/audit-cleanup/pause').set('x-test-token-org', '*').expect(200);
    const refused = await api.post('/scheduler/audit-cleanup/pause').set('x-test-token-org', 'org-alpha').expect(403);
    expect(refused.body).toEqual({ error: OPERATOR_REQUIRED, code: 'FORBIDDEN', status: 403 });
    // Routes open to org tokens are not guarded.
    await api.get('/audit/verify').set('x-test-token-org', 'org-alpha').expect(200);
  });
});
